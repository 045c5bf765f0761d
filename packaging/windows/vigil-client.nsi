; The candidate client's per-user installer (issue 15), built by packaging/windows/installer.sh
; with Debian's nsis. Per user: no administrator rights, as council laptops often forbid them.
; Everything goes under %LOCALAPPDATA%\Programs\Vigil and HKCU; the candidate's data stays in
; %LOCALAPPDATA%\Vigil, which the uninstaller removes only when asked, and never silently when
; some of it has not reached the server.
; A 64-bit installer: the client is x86-64 only, and Debian's nsis carries amd64 stubs.
Target amd64-unicode
ManifestDPIAware true
RequestExecutionLevel user
SetCompressor /SOLID lzma

!ifndef VERSION
  !error "pass -DVERSION=x.y.z"
!endif
!ifndef STAGE
  !error "pass -DSTAGE=folder with the files to install"
!endif
!ifndef OUTFILE
  !error "pass -DOUTFILE=path of the installer"
!endif

!include "MUI2.nsh"
!include "LogicLib.nsh"

Name "Vigil"
OutFile "${OUTFILE}"
InstallDir "$LOCALAPPDATA\Programs\Vigil"
InstallDirRegKey HKCU "Software\Vigil" "InstallDir"
BrandingText "Vigil ${VERSION}"
VIProductVersion "${VERSION}.0"
VIAddVersionKey "ProductName" "Vigil"
VIAddVersionKey "FileDescription" "Vigil assessment client installer"
VIAddVersionKey "FileVersion" "${VERSION}"
VIAddVersionKey "ProductVersion" "${VERSION}"
VIAddVersionKey "LegalCopyright" "Vigil"

!define UNINSTALL_KEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\Vigil"

!insertmacro MUI_PAGE_WELCOME
!insertmacro MUI_PAGE_DIRECTORY
!insertmacro MUI_PAGE_INSTFILES
!insertmacro MUI_PAGE_FINISH
!insertmacro MUI_UNPAGE_CONFIRM
!insertmacro MUI_UNPAGE_INSTFILES
!insertmacro MUI_LANGUAGE "English"

Section "Vigil" SecMain
  SetShellVarContext current
  SetOutPath "$INSTDIR"
  File "${STAGE}\vigil-client.exe"
  File "${STAGE}\Vigil.exe"
  File "${STAGE}\LICENSES.txt"
  SetOutPath "$INSTDIR\models"
  File "${STAGE}\models\*.onnx"
  SetOutPath "$INSTDIR\haarcascades"
  File "${STAGE}\haarcascades\*.xml"

  CreateDirectory "$SMPROGRAMS\Vigil"
  CreateShortcut "$SMPROGRAMS\Vigil\Vigil assessment.lnk" "$INSTDIR\Vigil.exe" "" "$INSTDIR\vigil-client.exe" 0
  CreateShortcut "$SMPROGRAMS\Vigil\Uninstall Vigil.lnk" "$INSTDIR\uninstall.exe"

  WriteUninstaller "$INSTDIR\uninstall.exe"
  WriteRegStr HKCU "Software\Vigil" "InstallDir" "$INSTDIR"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "DisplayName" "Vigil"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "DisplayVersion" "${VERSION}"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "Publisher" "Vigil"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "InstallLocation" "$INSTDIR"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "DisplayIcon" "$INSTDIR\vigil-client.exe"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "UninstallString" '"$INSTDIR\uninstall.exe"'
  WriteRegStr HKCU "${UNINSTALL_KEY}" "QuietUninstallString" '"$INSTDIR\uninstall.exe" /S'
  WriteRegDWORD HKCU "${UNINSTALL_KEY}" "NoModify" 1
  WriteRegDWORD HKCU "${UNINSTALL_KEY}" "NoRepair" 1
SectionEnd

; The candidate's answers and evidence live in %LOCALAPPDATA%\Vigil. `vigil-client pending`
; exits 0 when everything has reached the server, 3 when something has not, and anything else
; when it cannot tell; only 0 lets that folder go without a warning.
Section "Uninstall"
  SetShellVarContext current
  ExecWait '"$INSTDIR\vigil-client.exe" pending' $0
  ${If} $0 == 0
    StrCpy $1 "Also remove your Vigil data from this computer?$\r$\n$\r$\nEverything in it has reached the server."
    MessageBox MB_YESNO|MB_ICONQUESTION $1 /SD IDNO IDNO keep_data
  ${ElseIf} $0 == 3
    StrCpy $1 "Some of your answers or recordings have NOT reached the server yet.$\r$\n$\r$\nKeep your Vigil data on this computer? Connect to the internet and open Vigil to send them. Choose No only if your assessment centre has told you to."
    MessageBox MB_YESNO|MB_ICONEXCLAMATION|MB_DEFBUTTON1 $1 /SD IDYES IDYES keep_data
  ${Else}
    StrCpy $1 "Vigil could not check whether everything has reached the server (is Vigil still open?).$\r$\n$\r$\nKeep your Vigil data on this computer? Choose No only if your assessment centre has told you to."
    MessageBox MB_YESNO|MB_ICONEXCLAMATION|MB_DEFBUTTON1 $1 /SD IDYES IDYES keep_data
  ${EndIf}
  RMDir /r "$LOCALAPPDATA\Vigil"
  keep_data:
  Delete "$INSTDIR\vigil-client.exe"
  Delete "$INSTDIR\Vigil.exe"
  Delete "$INSTDIR\LICENSES.txt"
  RMDir /r "$INSTDIR\models"
  RMDir /r "$INSTDIR\haarcascades"
  Delete "$INSTDIR\uninstall.exe"
  RMDir "$INSTDIR"
  Delete "$SMPROGRAMS\Vigil\Vigil assessment.lnk"
  Delete "$SMPROGRAMS\Vigil\Uninstall Vigil.lnk"
  RMDir "$SMPROGRAMS\Vigil"
  DeleteRegKey HKCU "${UNINSTALL_KEY}"
  DeleteRegKey HKCU "Software\Vigil"
SectionEnd
