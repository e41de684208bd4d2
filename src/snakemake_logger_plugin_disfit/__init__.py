"""Snakemake logger plugin `disfit` (`--logger disfit`, set in profiles/default): a short main
output for a person to read.

One line when the run starts (jobs per stage), one line per finished stage, a progress bar for
the fit jobs (read from their logs, so it works for SLURM jobs too), and for a failed job its
rule, its log file and the log's last lines. Everything else stays in the files: Snakemake's
full log in .snakemake/log/, one log per job in results/<run>/logs/.
"""

from __future__ import annotations

import logging
import re
import sys
import threading
import time
from collections import Counter
from pathlib import Path

from snakemake_interface_logger_plugins.base import LogHandlerBase
from snakemake_interface_logger_plugins.common import LogEvent

#: stages in workflow order; a rule belongs to the stage its name starts with
STAGES = ("data", "theory", "import", "fit", "postfit", "lhapdf", "report")
_ALIASES = {"export": "theory", "ship": "theory"}
#: progress lines: a fit job's "replicas 1-50: 12/50 trained", a hyperopt trial's
#: "trial 3: epoch 500/17000"
_PROGRESS = re.compile(r"(\d+)/(\d+) trained|epoch (\d+)/(\d+)")
_KEEP = (
    "Nothing to be done",
    "Complete log(s)",
    "Exiting because",
    "MissingInputException",
    "WorkflowError",
    "Error",
    "Congratulations",
    "Lints for",
    "Report created",
)


def fit_progress(text: str) -> tuple[int, int] | None:
    """(done, total) of a fit job (replicas trained) or a hyperopt trial (epochs) from its
    log; None before its first progress line."""
    found = _PROGRESS.findall(text)
    if not found:
        return None
    replicas, total, epoch, epochs = found[-1]
    return (int(replicas), int(total)) if total else (int(epoch), int(epochs))


def stage_of(rule: str) -> str | None:
    """The stage of a rule (None for `all`)."""
    head = rule.split("_")[0]
    head = _ALIASES.get(head, head)
    return head if head in STAGES else (None if rule == "all" else rule)


def _duration(seconds: float) -> str:
    minutes, seconds = divmod(int(round(seconds)), 60)
    return f"{minutes} min {seconds:02d} s" if minutes else f"{seconds} s"


class LogHandler(LogHandlerBase):
    """Stage lines, a fit progress bar and failed-job summaries on stderr."""

    def __post_init__(self) -> None:
        self.stream = sys.stdout if self.common_settings.stdout else sys.stderr
        self.tty = self.stream.isatty()
        self.dryrun = bool(self.common_settings.dryrun)
        self._out_lock = threading.Lock()
        self.total: Counter[str] = Counter()
        self.done: Counter[str] = Counter()
        # wall time during which a stage had a job running (a stage whose first job runs early,
        # such as the LHAPDF operator's copy, is not charged for waiting on the fit)
        self.running: Counter[str] = Counter()
        self.busy_since: dict[str, float] = {}
        self.busy: Counter[str] = Counter()
        self.jobs: dict[int, tuple[str, list[str]]] = {}
        self.running_fits: dict[int, list[str]] = {}
        self.reported: dict[int, int] = {}  # fit job → last tenth reported (no TTY)
        self.bar_shown = False
        self.t0 = time.monotonic()
        if not self.dryrun:
            threading.Thread(target=self._watch_fits, daemon=True).start()

    # --- what Snakemake requires of a handler ---
    @property
    def writes_to_stream(self) -> bool:
        return True

    @property
    def writes_to_file(self) -> bool:
        return False

    @property
    def has_filter(self) -> bool:
        return True

    @property
    def has_formatter(self) -> bool:
        return True

    @property
    def needs_rulegraph(self) -> bool:
        return False

    def emit(self, record: logging.LogRecord) -> None:
        event = getattr(record, "event", None)
        if self.dryrun:  # a dry run is for reading what would run: Snakemake's own summary
            if event in (None, LogEvent.RUN_INFO, LogEvent.ERROR) and record.msg:
                self._print(str(record.msg).rstrip())
            return
        if event == LogEvent.RUN_INFO and getattr(record, "stats", None):
            self._run_info(record.stats)
        elif event == LogEvent.JOB_INFO:
            self._job_started(record)
        elif event == LogEvent.JOB_FINISHED:
            self._job_finished(int(record.job_id))
        elif event == LogEvent.JOB_ERROR:
            self._job_error(record)
        elif event is None or event == LogEvent.ERROR:
            message = str(record.msg or "")
            if record.levelno >= logging.WARNING or message.startswith(_KEEP):
                self._print(message.rstrip())

    # --- events ---
    def _run_info(self, stats: dict[str, int]) -> None:
        for rule, count in stats.items():
            stage = stage_of(rule) if rule != "total" else None
            if stage:
                self.total[stage] += count
        parts = [
            f"{s} {self.total[s]}"
            for s in (*STAGES, *sorted(set(self.total) - set(STAGES)))
            if self.total[s]
        ]
        self._print(f"disfit: {sum(self.total.values())} jobs to run ({', '.join(parts)})")

    def _job_started(self, record: logging.LogRecord) -> None:
        rule, logs = record.rule_name, list(record.log or [])
        self.jobs[int(record.jobid)] = (rule, logs)
        stage = stage_of(rule)
        if stage:
            if not self.running[stage]:
                self.busy_since[stage] = time.monotonic()
            self.running[stage] += 1
        if stage == "fit":
            with self._out_lock:
                self.running_fits[int(record.jobid)] = logs

    def _job_finished(self, jobid: int) -> None:
        rule, _ = self.jobs.get(jobid, ("?", []))
        stage = stage_of(rule)
        with self._out_lock:
            self.running_fits.pop(jobid, None)
        if not stage:
            return
        self.running[stage] -= 1
        if not self.running[stage]:
            self.busy[stage] += time.monotonic() - self.busy_since.pop(stage, self.t0)
        self.done[stage] += 1
        if self.done[stage] == self.total[stage]:
            took = self.busy[stage]
            jobs = f"{self.total[stage]} job{'s' if self.total[stage] > 1 else ''}"
            self._print(f"  done: {stage:<8} {jobs:>8} in {_duration(took)}")

    def _job_error(self, record: logging.LogRecord) -> None:
        logs = list(getattr(record, "log", None) or [])
        with self._out_lock:
            self.running_fits.pop(int(getattr(record, "jobid", -1)), None)
        self._print(
            f"  FAILED: rule {record.rule_name}" + (f"; log: {', '.join(logs)}" if logs else "")
        )
        for path in logs:
            try:
                tail = Path(path).read_text(errors="replace").splitlines()[-5:]
            except OSError:
                continue
            for line in tail:
                self._print(f"    | {line}")

    # --- the fit's progress, from its log ---
    def _fit_progress(self) -> list[tuple[int, int, int]]:
        """(job id, epochs done, epochs) of each running fit job whose log shows progress."""
        with self._out_lock:
            running = dict(self.running_fits)
        progress = []
        for jobid, logs in running.items():
            for path in logs:
                try:
                    found = fit_progress(Path(path).read_text(errors="replace"))
                except OSError:
                    continue
                if found:
                    progress.append((jobid, *found))
        return progress

    def _watch_fits(self) -> None:
        while True:
            time.sleep(1.0)
            progress = self._fit_progress()
            if not progress:
                continue
            if self.tty:
                done = sum(p[1] for p in progress) / sum(p[2] for p in progress)
                width = 30
                bar = "#" * int(done * width) + "-" * (width - int(done * width))
                text = (
                    f"  fit: [{bar}] {100 * done:3.0f}% of the epochs of {len(progress)} "
                    "running job(s)"
                )
                with self._out_lock:
                    self.stream.write("\r" + text)
                    self.stream.flush()
                    self.bar_shown = True
            else:
                for jobid, epoch, total in progress:
                    tenth = 10 * epoch // total
                    if tenth > self.reported.get(jobid, 0):
                        self.reported[jobid] = tenth
                        rule = self.jobs.get(jobid, ("fit", []))[0]
                        self._print(f"  {rule}: {10 * tenth}% of its epochs")

    def _print(self, text: str) -> None:
        with self._out_lock:
            if self.bar_shown:
                self.stream.write("\r\033[K")
                self.bar_shown = False
            self.stream.write(text + "\n")
            self.stream.flush()
