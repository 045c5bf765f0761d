#!/usr/bin/env python3
"""Checks the Debian packages that packaging/deb/build.sh wrote (issue 18).

    tests/packaging/check_packages.py SOURCE_DIR

Opt-in: exits 77 (ctest: skipped) when build/packages/ holds no packages of this version, because
making them costs a whole release build (docs/DEVELOPING.md). Otherwise, and failing on the first
miss:
  1. each package holds what it must (dpkg-deb -c), and the unit's config file is a conffile;
  2. Depends was computed by dpkg-shlibdeps (the shared libraries' packages are in it);
  3. lintian reports no error;
  4. `systemd-analyze security --offline=yes` scores the unit 2.0 or better, and
     `systemd-analyze verify` is clean on it;
  5. the packaged server, run as systemd runs a Type=notify unit (NOTIFY_SOCKET: a unix datagram
     socket this script reads), sends READY=1 once its port completes a TLS handshake, and on
     SIGTERM sends STOPPING=1 and exits 0.
Not shown here: installing into a system where systemd runs (no such system in CI).
"""
import os
import re
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SKIP = 77


def fail(why):
    print(f"FAIL: {why}")
    sys.exit(1)


def run(*cmd, check=True):
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=240)
    if check and r.returncode != 0:
        fail(f"{' '.join(cmd)} exited {r.returncode}:\n{r.stdout}{r.stderr}")
    return r


def contents(deb):
    # dpkg-deb -c lines end with "./path" (or "./path -> target" for links).
    return {line.split()[5] for line in run("dpkg-deb", "-c", str(deb)).stdout.splitlines()}


def check_contents(server, client):
    must = {
        server: ["./usr/bin/vigil-server", "./usr/lib/systemd/system/vigil-server.service",
                 "./usr/lib/sysusers.d/vigil-server.conf", "./usr/lib/tmpfiles.d/vigil-server.conf",
                 "./etc/vigil/vigil-server.env", "./usr/share/vigil/certbot-deploy-hook", "./usr/share/vigil/certs/make-server-cert.sh",
                 "./usr/share/vigil/certs/lib.sh", "./usr/share/doc/vigil-server/copyright",
                 "./usr/share/doc/vigil-server/changelog.gz"],
        client: ["./usr/bin/vigil-client",
                 "./usr/share/vigil/models/face_detection_front_128x128_barracuda.onnx",
                 "./usr/share/doc/vigil-client/copyright", "./usr/share/doc/vigil-client/changelog.gz"],
    }
    for deb, paths in must.items():
        have = contents(deb)
        for p in paths:
            if p not in have:
                fail(f"{deb.name} lacks {p}")
    conffiles = run("dpkg-deb", "-I", str(server), "conffiles").stdout.split()
    if "/etc/vigil/vigil-server.env" not in conffiles:
        fail(f"/etc/vigil/vigil-server.env is not a conffile of {server.name}: {conffiles}")
    for script in ["postinst", "prerm", "postrm"]:
        run("dpkg-deb", "-I", str(server), script)
    print("ok: contents, conffiles and maintainer scripts")


def check_depends(server, client):
    # Libraries only dpkg-shlibdeps would name: a hand-written list would not track sonames.
    want = {server: ["libc6 (>=", "libssl3", "libsqlite3-0", "libsystemd0", "liboath0"],
            client: ["libc6 (>=", "libssl3", "libsqlcipher", "libopencv-dnn", "libsecret-1-0", "opencv-data"]}
    for deb, names in want.items():
        depends = run("dpkg-deb", "-f", str(deb), "Depends").stdout
        for n in names:
            if n not in depends:
                fail(f"{deb.name}: Depends lacks {n}: {depends}")
        print(f"ok: {deb.name} Depends: {depends.strip()}")


def check_lintian(server, client):
    r = run("lintian", "--tag-display-limit", "0", str(server), str(client), check=False)
    print(r.stdout, end="")
    errors = [line for line in r.stdout.splitlines() if line.startswith("E:")]
    if errors or r.returncode != 0:  # stderr may say "running with root privileges is not recommended"
        fail(f"lintian: {len(errors)} error(s), exit {r.returncode}: {r.stderr}")
    print("ok: lintian, no error")


def check_exposure(source):
    unit = source / "packaging/systemd/vigil-server.service"
    r = run("systemd-analyze", "security", "--offline=yes", str(unit), check=False)
    m = re.search(r"Overall exposure level for vigil-server.service: ([0-9.]+)", r.stdout)
    if not m:
        fail(f"no exposure figure from systemd-analyze:\n{r.stdout}{r.stderr}")
    score = float(m.group(1))
    if score > 2.0:
        fail(f"exposure {score} is above 2.0")
    print(f"ok: exposure {score} (2.0 or better)")


def tls_handshake(port):
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE  # the handshake is what counts here, not the device's pin
    with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
        with ctx.wrap_socket(raw) as tls:
            return tls.version()


def receive(sock, deadline):
    sock.settimeout(max(0.1, deadline - time.monotonic()))
    return sock.recv(4096).decode()


def check_notify(server_deb, work):
    root = work / "root"
    run("dpkg-deb", "-x", str(server_deb), str(root))
    exe = root / "usr/bin/vigil-server"
    # `systemd-analyze verify` on the packaged unit, its ExecStart pointed at the extracted binary.
    unit = work / "vigil-server.service"
    unit.write_text((root / "usr/lib/systemd/system/vigil-server.service").read_text()
                    .replace("/usr/bin/vigil-server", str(exe)))
    r = run("systemd-analyze", "verify", str(unit), check=False)
    if r.returncode != 0 or r.stdout.strip() or r.stderr.strip():
        fail(f"systemd-analyze verify on the unit:\n{r.stdout}{r.stderr}")
    print("ok: systemd-analyze verify is clean on the packaged unit")
    home = work / "home"
    run(str(exe), "init", str(home), "--host", "127.0.0.1")
    path = work / "notify.sock"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(path))
    env = dict(os.environ, NOTIFY_SOCKET=str(path))
    proc = subprocess.Popen([str(exe), "serve", str(home), "--port", "0"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        message = receive(sock, time.monotonic() + 30)
        if "READY=1" not in message:
            fail(f"first notification is not READY=1: {message!r}")
        port = re.search(r"listening on port (\d+)", message)
        if not port:
            fail(f"READY=1 without the port in STATUS=: {message!r}")
        # At READY=1 the port already completes a TLS handshake (no retry: at once).
        print(f"ok: READY=1 ({message.strip()!r}); TLS at once: {tls_handshake(int(port.group(1)))}")
        proc.send_signal(signal.SIGTERM)
        message = receive(sock, time.monotonic() + 15)
        if "STOPPING=1" not in message:
            fail(f"after SIGTERM, not STOPPING=1: {message!r}")
        code = proc.wait(timeout=20)
        out = proc.stdout.read()
        if code != 0 or "vigil-server: stopped" not in out:
            fail(f"after SIGTERM the server exited {code}:\n{out}")
        print("ok: SIGTERM gave STOPPING=1 and a clean exit (0)")
    except (socket.timeout, TimeoutError, subprocess.TimeoutExpired) as e:
        proc.kill()
        fail(f"timed out ({e}); server said:\n{proc.communicate()[0]}")
    finally:
        if proc.poll() is None:
            proc.kill()
        sock.close()


def main():
    source = Path(sys.argv[1]).resolve()
    version = re.search(r"project\(vigil VERSION ([0-9.]+)", (source / "CMakeLists.txt").read_text()).group(1)
    packages = source / "build/packages"
    server = packages / f"vigil-server_{version}_amd64.deb"
    client = packages / f"vigil-client_{version}_amd64.deb"
    if not (server.is_file() and client.is_file()):
        print(f"SKIP: no packages of version {version} in {packages}: run packaging/deb/build.sh first "
              "(a release build; opt-in, see docs/DEVELOPING.md)")
        return SKIP
    for stale in (server, client):
        if stale.stat().st_mtime < (source / "packaging/systemd/vigil-server.service").stat().st_mtime:
            print(f"note: {stale.name} is older than the unit file: rerun packaging/deb/build.sh")
    check_contents(server, client)
    check_depends(server, client)
    check_lintian(server, client)
    check_exposure(source)
    with tempfile.TemporaryDirectory(prefix="vigil-deb-") as tmp:
        check_notify(server, Path(tmp))
    return 0


if __name__ == "__main__":
    sys.exit(main())
