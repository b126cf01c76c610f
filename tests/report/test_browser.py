"""The report in a real browser: a smoke reproduce (a fast subset) rendered by headless Chromium
with no console errors, every image loaded, every registered experiment's section present.
The screenshot is kept in test-artifacts/ (or $GENLAB_ARTIFACTS)."""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from genlab import experiments

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")
SUBSET = ("expressivity", "implicit_linear")  # the fastest smoke presets (seconds)


def _browser():
    if not (CHROMIUM and DRIVER):
        if os.environ.get("GENLAB_REQUIRE_BROWSER"):
            pytest.fail("chromium / chromedriver missing (make test installs them: see Makefile)")
        pytest.skip("chromium / chromedriver not installed (run `make browser` or `make test`)")
    webdriver = pytest.importorskip("selenium.webdriver")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1200,2400",
                "--allow-file-access-from-files"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(options=options, service=webdriver.ChromeService(executable_path=DRIVER))


def test_smoke_report_renders_in_chromium(tmp_path):
    store = tmp_path / "smoke.sqlite"
    only = [a for name in SUBSET for a in ("--only", name)]
    done = subprocess.run([sys.executable, "-c", "from genlab.cli import main; main()", "reproduce",
                           "--preset", "smoke", "--store", str(store), "--no-progress", *only],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    report = tmp_path / "smoke-report.html"
    driver = _browser()
    try:
        driver.get(report.as_uri())
        images = driver.execute_script(
            "return Array.from(document.images).map(i => [i.alt, i.complete && i.naturalWidth > 0])")
        sections = driver.execute_script("return Array.from(document.querySelectorAll('h2[id]')).map(h => h.id)")
        errors = [e for e in driver.get_log("browser") if e["level"] in ("SEVERE", "ERROR")]
        artifacts = Path(os.environ.get("GENLAB_ARTIFACTS", "test-artifacts"))
        artifacts.mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(artifacts / "report-smoke.png"))
    finally:
        driver.quit()
    assert not errors, errors
    assert images and all(ok for _, ok in images), images
    assert set(experiments.names()) | {"summary", "contents"} <= set(sections)
    for name in SUBSET:  # the experiments that ran have their figures
        assert any(alt.startswith(name) for alt, _ in images), (name, images)
    text = report.read_text()
    assert text.count("Not run: the store holds no runs") == len(experiments.names()) - len(SUBSET)
