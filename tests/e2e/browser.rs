//! The HTML report in a real browser: headless Chromium (Debian's) driven by Playwright
//! opens the file offline, and every chart has data points, the tables have rows, and the
//! console has no errors. A screenshot is kept in `target/browser-artifacts/`.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::{run_all_status_endpoints, scratch_dir, workspace};

const CHROMIUM: &str = "/usr/bin/chromium";

/// The page check's directory, once its tools are there: Debian's Chromium and the pinned
/// Playwright of `tests/browser/package-lock.json`, which `tests/run.sh` installs.
fn browser_tools() -> PathBuf {
    let dir = workspace().join("tests").join("browser");
    assert!(
        Path::new(CHROMIUM).exists(),
        "the browser tests need Debian's chromium at {CHROMIUM}: run `bash tests/run.sh`, \
         which installs it, or `apt-get install chromium`"
    );
    assert!(
        dir.join("node_modules").join("playwright-core").is_dir(),
        "the browser tests need Playwright in tests/browser: run `bash tests/run.sh`, or \
         `npm ci` in tests/browser"
    );
    dir
}

/// Runs the page check, requiring `min_points` points on every chart line; returns what it
/// printed.
pub fn check_page(url: &str, screenshot: &Path, tables: &[&str], min_points: usize) -> String {
    let dir = browser_tools();
    let output = Command::new("node")
        .env("MIN_POINTS", min_points.to_string())
        .arg(dir.join("check_page.mjs"))
        .arg(url)
        .arg(screenshot)
        .args(tables)
        .current_dir(&dir)
        .output()
        .expect("node runs");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "the page check failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

/// Where a test keeps a screenshot; an older one is removed, so the file shows this run.
pub fn artifact(name: &str) -> PathBuf {
    let dir = workspace().join("target").join("browser-artifacts");
    std::fs::create_dir_all(&dir).expect("the artifacts directory");
    let path = dir.join(name);
    let _ = std::fs::remove_file(&path);
    path
}

/// The data points of each series of chart `id`, from the page check's `id=N/M` output.
pub fn chart_points(printed: &str, id: &str) -> Vec<u64> {
    printed
        .split([',', ' ', '\n'])
        .find_map(|part| part.strip_prefix(&format!("{id}=")))
        .map(|points| points.split('/').filter_map(|n| n.parse().ok()).collect())
        .unwrap_or_default()
}

#[tokio::test]
async fn the_html_report_renders_offline_with_data() {
    let out = scratch_dir("html");
    let html = out.join("report.html");
    let html_arg = html.display().to_string();
    let (run, _) = run_all_status_endpoints(&["--html", &html_arg, "--threshold", "p95<5s"]).await;
    run.assert(run.code == 0, "the run succeeds");
    let screenshot = artifact("html-report.png");
    let printed = check_page(
        &format!("file://{}", html.display()),
        &screenshot,
        &["requests", "percentiles", "thresholds"],
        2,
    );
    // A 3-second run: a point a second on both series (req/s and failures/s).
    let points = chart_points(&printed, "chart-rps");
    assert!(
        points.len() == 2 && points.iter().all(|&n| n >= 3),
        "{printed}"
    );
    assert!(screenshot.is_file(), "a screenshot was saved");
}
