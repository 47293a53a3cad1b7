"""Run one submitted notebook in its own folder, with time and memory limits, no network (grading).

The grader (:mod:`nlpcourse.site.grader`) starts ``python -m nlpcourse.site.sandbox JOB`` as its own
process for each submission. ``JOB/job.json`` says what to run; the notebook runs with its working
folder, home, caches and temporary files inside ``JOB/work``, cell by cell under nbclient (a time
limit per cell; a deadline for the whole notebook, after which the remaining cells are skipped),
then one grading cell; ``JOB/execution.json`` reports each cell that raised, timed out or killed the
kernel. The grader itself kills the whole job (this process and the kernel) if it outlives a
wall-clock limit, so no submission can hang a grading run.

The kernel's interpreter loads :data:`GUARD` as ``sitecustomize`` (from ``JOB/guard`` on its
``PYTHONPATH``, so any Python process the notebook starts loads it too). It sets a memory limit
(``RLIMIT_AS``: the address space, which every allocation counts against, so a runaway cell gets a
``MemoryError`` or dies alone instead of the grading machine swapping) and installs an audit hook
(PEP 578) that refuses network connections other than to this machine, writes, deletions and
renames outside ``JOB/work`` (``/dev/null`` and ``/dev/shm`` excepted), reading the grader's own files
in ``JOB`` (the job spec names the file the grading cell writes), other programs than Python, and
signals to other processes. An audit hook is a guard against coursework mistakes and casual
mischief, not a security boundary: code that loads a C library (``ctypes``) goes around it. Grade
work from people you would not let run code on the machine in a container or a virtual machine.
"""
from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

GUARD = r'''
"""Grading sandbox (nlpcourse.site.sandbox): memory limit and audit hook, installed at start."""
import os
import sys


def _install():
    import resource
    root = os.path.realpath(os.environ["NLPCOURSE_SANDBOX_ROOT"])
    job = os.path.dirname(root)                       # the grader's files: the job spec, the reports
    guard = os.path.dirname(os.path.realpath(__file__))
    limit = int(os.environ.get("NLPCOURSE_SANDBOX_MEMORY", "0"))
    if limit:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    python = os.path.realpath(sys.executable)
    allowed = (root, "/dev/null", "/dev/shm", "/dev/tty", "/dev/fd", "/proc/self")
    write_flags = os.O_WRONLY | os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_TRUNC
    local = {"127.0.0.1", "localhost", "::1", "0.0.0.0", ""}
    busy = []

    def inside(path):
        if isinstance(path, int):
            return True                      # an already open file descriptor
        real = os.path.realpath(os.fsdecode(path))
        return any(real == a or real.startswith(a + os.sep) for a in allowed)

    def within(real, folder):
        return real == folder or real.startswith(folder + os.sep)

    def hidden(path):
        if isinstance(path, int):
            return False
        real = os.path.realpath(os.fsdecode(path))
        return within(real, job) and not within(real, root) and not within(real, guard)

    def refuse(what):
        raise PermissionError(f"grading sandbox: {what} is not allowed")

    def hook(event, args):
        if busy:
            return
        busy.append(1)
        try:
            if event == "open":
                path, mode, flags = args
                writing = any(c in mode for c in "wax+") if isinstance(mode, str) else bool(flags & write_flags)
                if writing and path is not None and not inside(path):
                    refuse(f"writing {path!r} (outside the submission's folder)")
                if path is not None and hidden(path):
                    refuse(f"reading the grader's file {path!r}")
            elif event in ("os.remove", "os.rmdir", "os.mkdir", "os.truncate", "os.chmod", "os.chown",
                           "os.utime", "shutil.rmtree"):
                if args and not inside(args[0]):
                    refuse(f"{event} of {args[0]!r} (outside the submission's folder)")
            elif event in ("os.rename", "os.link", "os.symlink", "shutil.copyfile"):
                for path in (args[:2] if event == "os.rename" else args[1:2]):   # a copy's source is only read
                    if isinstance(path, (str, bytes, os.PathLike)) and not inside(path):
                        refuse(f"{event} with {path!r} (outside the submission's folder)")
            elif event == "sqlite3.connect" and args[0] not in (":memory:", "", b":memory:") \
                    and not str(args[0]).startswith("file:") and not inside(args[0]):
                refuse(f"writing the database {args[0]!r} (outside the submission's folder)")
            elif event in ("socket.connect", "socket.sendto"):
                address = args[1]
                host = address[0] if isinstance(address, tuple) else address
                if isinstance(address, tuple) and str(host) not in local:
                    refuse(f"a network connection to {host}")
                if isinstance(address, (str, bytes)) and address and not inside(address):
                    refuse(f"connecting to the socket {address!r}")
            elif event == "subprocess.Popen":
                program = args[0] if args[0] is not None else (args[1][0] if args[1] else "")
                if isinstance(program, (list, tuple)):
                    program = program[0] if program else ""
                if os.path.realpath(os.fsdecode(program)) != python and os.fsdecode(program) != sys.executable:
                    refuse(f"running {os.fsdecode(program)!r}")
            elif event in ("os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.killpg", "pty.spawn"):
                refuse(event)
            elif event == "os.kill" and args[0] not in (0, os.getpid()):
                refuse(f"signalling process {args[0]}")
        finally:
            busy.pop()

    sys.addaudithook(hook)


_install()
del _install
'''


def write_guard(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "sitecustomize.py").write_text(GUARD)


_PASSED_ON = {"PATH", "LANG", "LANGUAGE", "TZ", "TERM", "SYSTEMROOT"}


def kernel_env(job: Path, root: Path, memory_bytes: int, threads: int) -> dict[str, str]:
    """The kernel's environment: every writable place inside ``root``, the quick profile, lenient checks.

    Built from scratch, not copied: of the grader's variables only the locale and ``PATH`` pass, so a
    notebook reads no token or setting of whoever grades (and no ``NLPCOURSE_STRICT_CHECKS``)."""
    from nlpcourse.notebook import OPENMP_SETTINGS
    env = {k: v for k, v in os.environ.items() if k in _PASSED_ON or k.startswith("LC_")}
    env.update(OPENMP_SETTINGS)
    for name in ("home", "cache", "tmp", "runtime", "mpl"):
        (root / name).mkdir(exist_ok=True)
    pythonpath = [str(job / "guard")] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    env.update({
        "HOME": str(root / "home"), "XDG_CACHE_HOME": str(root / "cache"), "NLPCOURSE_CACHE": str(root / "cache"),
        "TMPDIR": str(root / "tmp"), "MPLCONFIGDIR": str(root / "mpl"), "JUPYTER_RUNTIME_DIR": str(root / "runtime"),
        "IPYTHONDIR": str(root / "home" / ".ipython"), "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONPATH": os.pathsep.join(pythonpath), "NLPCOURSE_PROFILE": "quick",
        "NLPCOURSE_SANDBOX_ROOT": str(root), "NLPCOURSE_SANDBOX_MEMORY": str(memory_bytes),
        "OMP_NUM_THREADS": str(threads), "MKL_NUM_THREADS": str(threads), "OPENBLAS_NUM_THREADS": str(threads),
        "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "PYDEVD_DISABLE_FILE_VALIDATION": "1",
    })
    if os.environ.get("NLPCOURSE_DATA"):     # read, never written: the guard refuses writes there
        env["NLPCOURSE_DATA"] = os.path.abspath(os.environ["NLPCOURSE_DATA"])
    return env


def link_cache(shared: Path, cache: Path) -> None:
    """Fill the submission's cache with links to the files of a shared cache (the parsed IMDB splits,
    vectors): each notebook skips the parsing (11 s for IMDB) and the shared files stay read-only,
    since the guard judges a write by where a link leads."""
    for folder, _, files in os.walk(shared):
        target = cache / Path(folder).relative_to(shared)
        target.mkdir(parents=True, exist_ok=True)
        for name in files:
            if not (target / name).exists():
                (target / name).symlink_to(Path(folder) / name)


def _error_of(cell) -> str | None:
    for output in cell.get("outputs", []):
        if output.get("output_type") == "error":
            evalue = str(output.get("evalue") or "").strip()
            return (f"{output.get('ename')}: {evalue}" if evalue else str(output.get("ename")))[:300]
    return None


def _label(cell, index: int) -> str:
    first = next((line.strip() for line in cell.source.splitlines() if line.strip()), "")
    return f"cell {index + 1} ({first[:40]!r})"


def _run_cells(nb, skip: set[int], root: Path, job: Path, spec: dict, deadline: float, report: dict) -> int | None:
    """Run the code cells not in ``skip`` in a new kernel; the index of a cell that killed it, else ``None``."""
    from nbclient import NotebookClient
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    grading_index = len(nb.cells) - 1
    client = NotebookClient(nb, timeout=spec["cell_timeout"], allow_errors=True, interrupt_on_timeout=True,
                            kernel_name="python3", resources={"metadata": {"path": str(root)}},
                            startup_timeout=120)
    env = kernel_env(job, root, spec["memory_bytes"], spec["threads"])
    with client.setup_kernel(env=env, cwd=str(root)):
        process = getattr(client.km.provisioner, "process", None)
        if process is not None:
            (job / "kernel.pid").write_text(str(process.pid))
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code" or not cell.source.strip() or index in skip:
                continue
            grading = index == grading_index
            left = deadline - time.monotonic()
            if not grading and left <= 0:
                report["stopped"] = f"out of time ({spec['notebook_timeout']} s) before {_label(cell, index)}"
                continue
            client.timeout = spec["grading_timeout"] if grading else max(1, min(spec["cell_timeout"], int(left)))
            started = time.monotonic()
            try:
                client.execute_cell(cell, index)
            except CellTimeoutError:
                report["cells"].append(f"{_label(cell, index)} timed out after {client.timeout} s")
                continue
            except DeadKernelError:
                return index
            error = _error_of(cell)
            if grading:
                report["graded"] = (root / spec["grades_file"]).is_file()
                if error:
                    report["grading_error"] = error
            elif error:
                timed_out = "KeyboardInterrupt" in error and time.monotonic() - started >= client.timeout - 1
                report["cells"].append(f"{_label(cell, index)} " + (f"timed out after {client.timeout} s"
                                                                    if timed_out else f"raised {error}"))
    return None


def execute(job: Path, restarts: int = 2) -> dict:
    """Run ``JOB/work/notebook.ipynb`` cell by cell, then the grading cell; returns the execution report.

    A cell that kills the kernel (``os._exit``, a segmentation fault, the memory limit) is skipped and
    the notebook runs again from the top in a new kernel, at most ``restarts`` times, within the same
    deadline: the answers above and below that cell still count.
    """
    import nbformat

    spec = json.loads((job / "job.json").read_text())
    root = job / "work"
    write_guard(job / "guard")
    if spec.get("shared_cache") and Path(spec["shared_cache"]).is_dir():
        link_cache(Path(spec["shared_cache"]), root / "cache")
    nb = nbformat.read(root / "notebook.ipynb", as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(spec["grading_cell"]))
    report: dict = {"cells": [], "kernel_died": [], "stopped": None, "graded": False}
    deadline = time.monotonic() + spec["notebook_timeout"]
    skip: set[int] = set()
    for _ in range(restarts + 1):
        report["cells"] = []
        died = _run_cells(nb, skip, root, job, spec, deadline, report)
        if died is None:
            break
        report["kernel_died"].append(_label(nb.cells[died], died) if died < len(nb.cells) - 1 else "the grading cell")
        skip.add(died)
    return report


def main(argv: list[str] | None = None) -> int:
    job = Path((argv or sys.argv[1:])[0])
    try:
        report = execute(job)
    except Exception as err:   # noqa: BLE001  the grader turns any failure into a graded row
        report = {"cells": [], "kernel_died": [], "stopped": None, "graded": False,
                  "failure": f"{type(err).__name__}: {err}"[:500]}
    (job / "execution.json").write_text(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
