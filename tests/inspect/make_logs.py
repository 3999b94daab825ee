"""Writes Inspect logs made by the real inspect-ai into OUT (see tasks.py):

  make_logs.py OUT suite       arith a/b (.eval), arith a (.json), tools (and
                               a deflated copy), failing (status error),
                               cancelled
  make_logs.py OUT big [N]     one N-sample (default 1000) log, for the benchmark

Prints the written log paths, one a line.
"""

import os
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent


def run(task_args: dict, out: Path, name: str, fmt: str = "eval", **kw) -> Path:
    from inspect_ai import eval as inspect_eval

    from tasks import arith, big, failing, tools  # noqa: F401

    task = {"arith": arith, "big": big, "failing": failing, "tools": tools}[name]
    [log] = inspect_eval(
        task(**task_args),
        log_dir=str(out),
        log_format=fmt,
        display="none",
        **kw,
    )
    return Path(log.location)


def cancelled(out: Path) -> Path:
    """A gated run interrupted (SIGINT, as Ctrl-C) after its first sample:
    Inspect marks the log cancelled."""
    gates = out / "_gates"
    gates.mkdir(exist_ok=True)
    (gates / "q1").touch()
    before = set(out.glob("*.eval"))
    p = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "inspect"),
            "eval",
            f"{HERE}/tasks.py@gated",
            "-T",
            f"gates={gates}",
            "--log-dir",
            str(out),
            "--log-buffer",
            "1",
            "--display",
            "none",
        ],
        cwd=HERE,
    )
    log = None
    deadline = time.time() + 120
    while time.time() < deadline:
        new = set(out.glob("*.eval")) - before
        if new:
            log = new.pop()
            try:
                names = zipfile.ZipFile(log).namelist()
                if any(n.startswith("samples/") for n in names):
                    break
            except (zipfile.BadZipFile, OSError):
                pass
        time.sleep(0.1)
    p.send_signal(signal.SIGINT)
    p.wait(timeout=60)
    for g in gates.iterdir():
        g.unlink()
    gates.rmdir()
    assert log is not None, "the gated run wrote no log"
    return log


def deflated(log: Path) -> Path:
    """The same log with its entries deflated, as inspect-ai wrote them
    before it moved to zstd (zip method 93)."""
    import zipfile_zstd  # noqa: F401  (teaches zipfile to read method 93)

    out = log.with_name(log.stem + "-deflate.eval")
    with zipfile.ZipFile(log) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, src.read(info.filename))
    return out


def main() -> None:
    out = Path(sys.argv[1]).resolve()
    out.mkdir(parents=True, exist_ok=True)
    what = sys.argv[2]
    sys.path.insert(0, str(HERE))
    os.environ.setdefault("INSPECT_DISPLAY", "none")
    logs = []
    if what == "suite":
        logs.append(run({"variant": "a"}, out, "arith"))
        logs.append(run({"variant": "b"}, out, "arith"))
        logs.append(run({"variant": "a", "samples": 3, "epochs": 1}, out, "arith", fmt="json"))
        logs.append(run({}, out, "tools"))
        logs.append(deflated(logs[-1]))
        logs.append(run({}, out, "failing"))
        logs.append(cancelled(out))
    elif what == "big":
        n = int(sys.argv[3]) if len(sys.argv) > 3 else 1000
        log = run({"samples": n}, out, "big", max_samples=50)
        from inspect_ai.log import read_eval_log

        status = read_eval_log(str(log), header_only=True).status
        assert status == "success", f"the big eval ended {status}"
        logs.append(log)
    else:
        sys.exit(f"make_logs.py: unknown {what!r}")
    for log in logs:
        print(log)


if __name__ == "__main__":
    main()
