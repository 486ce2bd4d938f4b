"""A report as PDF: its HTML printed by headless Chromium, with the report's own print CSS
(A4 or Letter, page breaks between sections), no header or footer added by the browser.

    write_pdf(html, Path("board.pdf"))      # ReportError when no Chromium is installed

Chromium is looked for as $REVOPS_CHROMIUM, then chromium, chromium-browser, google-chrome on
the PATH. It runs with no network access of its own (the report has no external asset) and a
throwaway profile; the PDF is written beside the target and renamed into place.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from revops.reports.context import ReportError

BROWSERS = ("chromium", "chromium-browser", "google-chrome")
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--no-pdf-header-footer")


def chromium() -> str | None:
    given = os.environ.get("REVOPS_CHROMIUM")
    if given:
        return given if Path(given).exists() else None
    return next((found for name in BROWSERS if (found := shutil.which(name))), None)


def write_pdf(html: str, out: Path, *, timeout: float = 120.0) -> Path:
    browser = chromium()
    if browser is None:
        raise ReportError("a PDF is printed by Chromium, which is not installed: install it (Debian: apt-get install "
                          "chromium) or set REVOPS_CHROMIUM to its path; or write the report as .html and print "
                          "it from a browser")
    out = Path(out)
    folder = out.parent if str(out.parent) else Path(".")
    if not folder.is_dir():
        raise ReportError(f"cannot write {out}: the folder {folder} does not exist; create it or choose --out elsewhere")
    with tempfile.TemporaryDirectory(prefix="revops-pdf-") as work:
        page = Path(work) / "report.html"
        page.write_text(html, encoding="utf-8")
        printed = Path(work) / "report.pdf"
        cmd = [browser, *FLAGS, f"--user-data-dir={Path(work) / 'profile'}", f"--print-to-pdf={printed}",
               page.as_uri()]
        try:
            done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise ReportError(f"Chromium did not print the report within {timeout:.0f} s") from None
        if not printed.exists() or printed.stat().st_size == 0:
            raise ReportError(f"Chromium could not print the report (exit {done.returncode}): "
                              f"{(done.stderr or done.stdout).strip()[-500:]}")
        fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=folder)
        os.close(fd)
        try:
            shutil.copyfile(printed, tmp)
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)
            os.replace(tmp, out)
        except OSError as exc:
            Path(tmp).unlink(missing_ok=True)
            raise ReportError(f"cannot write {out}: {exc.strerror or exc}") from exc
    return out
