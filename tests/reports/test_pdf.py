"""`revops report … --out FILE.pdf`: the report printed by headless Chromium (Debian's
chromium; `make test` installs it). Without a Chromium the command says what to install and
writes nothing."""

from __future__ import annotations

import re


from revops.reports.pdf import chromium
from tests.conftest import DEMO_TODAY, backend_missing, run_cli


def require_chromium() -> None:
    if chromium() is None:
        backend_missing("no Chromium (apt-get install chromium)")


def test_a_board_report_prints_to_a_pdf_of_several_pages(demo_files, tmp_path):
    require_chromium()
    out = tmp_path / "board.pdf"
    r = run_cli("--db", str(demo_files["small"]), "report", "board", "--as-of", DEMO_TODAY.isoformat(),
                "--period", "2026-Q1", "--out", str(out), timeout=300)
    assert r.returncode == 0, r.stderr
    data = out.read_bytes()
    assert data.startswith(b"%PDF-")
    pages = len(re.findall(rb"/Type\s*/Page(?!s)", data))
    assert pages >= 3, pages  # the board report's sections, broken across pages by its print CSS
    assert [p.name for p in tmp_path.iterdir()] == ["board.pdf"]  # no temporary file left behind


def test_without_chromium_a_pdf_is_refused_with_what_to_install(demo_files, tmp_path):
    out = tmp_path / "weekly.pdf"
    r = run_cli("--db", str(demo_files["small"]), "report", "weekly", "--as-of", DEMO_TODAY.isoformat(),
                "--out", str(out), env={"REVOPS_CHROMIUM": str(tmp_path / "no-such-browser")})
    assert r.returncode == 1
    assert "Chromium, which is not installed" in r.stderr and "apt-get install chromium" in r.stderr
    assert not out.exists()
