"""The sandbox's helper process (started by `sandbox.run`, never imported).

It runs as root inside the namespaces `unshare` made (or plainly, when there are none): it prepares
the mount table, forks the program, and in the child drops to `nobody`, sets rlimits and execs the
program's argv. It stays behind as the PID namespace's first process, waits for the program and
writes how it ended to the status pipe as JSON: {"exit": n} | {"signal": n} | {"setup_error": "..."}.
Started with `python3 -I -S`, so it imports nothing beyond the standard library's core.
"""
import json
import os
import resource
import sys

MS_RDONLY, MS_NOSUID, MS_NODEV, MS_REMOUNT, MS_BIND, MS_REC = 1, 2, 4, 32, 4096, 16384


def _is_under(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip("/") + "/")


def _first_private_ancestor(path: str, uid: int) -> str | None:
    """The shallowest directory above `path` that uid cannot pass through."""
    parts = path.strip("/").split("/")[:-1]
    current = ""
    for part in parts:
        current += "/" + part
        st = os.stat(current)
        if not (st.st_mode & 0o001 or (st.st_uid == uid and st.st_mode & 0o100)):
            return current
    return None


def _mounter():
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p]

    def mount(source, target, fstype, flags, data):
        enc = lambda s: None if s is None else s.encode()  # noqa: E731
        if libc.mount(enc(source), enc(target), enc(fstype), flags, enc(data)) != 0:
            err = ctypes.get_errno()
            raise OSError(err, "mount %s: %s" % (target, os.strerror(err)))
    return mount


def prepare_mounts(config: dict) -> None:
    """Fresh tmpfs over the temp dirs and over root-private ancestors; scratch and read paths bound back."""
    mount = _mounter()
    binds = [(config["scratch"], True)] + [(p, False) for p in config["read_paths"] if os.path.exists(p)]
    # outer paths first, so a path inside another is bound on top of it
    binds.sort(key=lambda b: b[0].count("/"))
    covers = {d: "mode=1777,size=64m" for d in config["tmp_dirs"]}
    if config["drop"]:
        for path, _ in binds:
            private = _first_private_ancestor(path, config["drop"][0])
            if private:
                covers.setdefault(private, "mode=755,size=1m")
    outermost = [c for c in covers if not any(o != c and _is_under(c, o) for o in covers)]
    # O_PATH handles keep the originals reachable once tmpfs hides the directories holding them
    handles = {path: os.open(path, os.O_PATH) for path, _ in binds}
    is_dir = {path: os.path.isdir(path) for path, _ in binds}
    for cover in outermost:
        mount("tmpfs", cover, "tmpfs", MS_NOSUID | MS_NODEV, covers[cover])
    for path, writable in binds:
        if not os.path.exists(path):
            os.makedirs(path if is_dir[path] else os.path.dirname(path), mode=0o755, exist_ok=True)
            if not is_dir[path]:
                open(path, "a").close()
        mount("/proc/self/fd/%d" % handles[path], path, None, MS_BIND | MS_REC, None)
        mount(None, path, None, MS_REMOUNT | MS_BIND | MS_NOSUID | MS_NODEV | (0 if writable else MS_RDONLY), None)
    for fd in handles.values():
        os.close(fd)


def become_program(config: dict) -> None:
    """In the forked child: drop privileges, set limits, exec. Never returns."""
    try:
        os.close(config["status_fd"])
        if config["drop"]:
            uid, gid = config["drop"]
            os.setgroups([])
            os.setgid(gid)
            os.setuid(uid)
        limits = [(resource.RLIMIT_CPU, config["cpu_seconds"], config["cpu_seconds"] + 1),
                  (resource.RLIMIT_FSIZE, config["file_size"], config["file_size"]),
                  (resource.RLIMIT_CORE, 0, 0),
                  (resource.RLIMIT_NOFILE, config["open_files"], config["open_files"]),
                  # after setuid: the kernel then checks the limit at fork only, not at this exec
                  (resource.RLIMIT_NPROC, config["processes"], config["processes"])]
        if config["memory_bytes"]:
            limits.append((resource.RLIMIT_AS, config["memory_bytes"], config["memory_bytes"]))
        for which, soft, hard in limits:
            resource.setrlimit(which, (soft, hard))
        os.umask(0o077)
        argv = config["argv"]
        os.execvpe(argv[0], argv, config["env"])
    except BaseException as exc:  # noqa: BLE001 - the child must never return into the helper
        os.write(2, ("sandbox: cannot start %s: %s\n" % (config["argv"][:1], exc)).encode())
    os._exit(127)


def main() -> None:
    config = json.loads(sys.argv[1])
    status_fd = config["status_fd"]

    def report(obj):
        os.write(status_fd, json.dumps(obj).encode())
        os.close(status_fd)

    try:
        if config["mounts"]:
            prepare_mounts(config)
        os.chdir(config["scratch"])
    except Exception as exc:  # noqa: BLE001 - reported to the parent as a crash with its reason
        report({"setup_error": "%s: %s" % (type(exc).__name__, exc)})
        return
    pid = os.fork()
    if pid == 0:
        become_program(config)
    while True:
        try:
            _, status = os.waitpid(pid, 0)
            break
        except InterruptedError:
            continue
    report({"signal": os.WTERMSIG(status)} if os.WIFSIGNALED(status) else {"exit": os.WEXITSTATUS(status)})


if __name__ == "__main__":
    main()
