//! Line charts as inline SVG, drawn in Rust so an HTML report needs no script and no network
//! to show them.

use std::fmt::Write;

/// One line of a chart.
pub struct Series<'a> {
    /// Legend label.
    pub label: &'a str,
    /// CSS colour.
    pub color: &'a str,
    /// One value per x.
    pub values: Vec<f64>,
}

const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 240.0;
const LEFT: f64 = 56.0;
const RIGHT: f64 = 12.0;
const TOP: f64 = 16.0;
const BOTTOM: f64 = 40.0;
const TICKS: usize = 5;

/// An SVG line chart of `series` over `x` (seconds), with axes, ticks and a legend. Each line
/// carries its point count in `data-points`, so tests can see that a chart has data.
pub fn line_chart(id: &str, y_unit: &str, x: &[f64], series: &[Series<'_>]) -> String {
    let x_max = x.iter().copied().fold(0.0, f64::max).max(1.0);
    let y_max = nice_ceiling(
        series
            .iter()
            .flat_map(|line| line.values.iter().copied())
            .fold(0.0, f64::max),
    );
    let plot_w = WIDTH - LEFT - RIGHT;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let px = |value: f64| LEFT + value / x_max * plot_w;
    let py = |value: f64| TOP + plot_h - value / y_max * plot_h;
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg id="{id}" class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" xmlns="http://www.w3.org/2000/svg">"#
    );
    for tick in 0..=TICKS {
        let fraction = tick as f64 / TICKS as f64;
        let (yv, xv) = (y_max * fraction, x_max * fraction);
        let _ = write!(
            svg,
            r##"<line x1="{LEFT}" x2="{:.1}" y1="{y:.1}" y2="{y:.1}" stroke="#e3e3e3"/><text x="{:.1}" y="{:.1}" text-anchor="end" class="tick">{}</text><text x="{:.1}" y="{:.1}" text-anchor="middle" class="tick">{}s</text>"##,
            WIDTH - RIGHT,
            LEFT - 6.0,
            py(yv) + 4.0,
            short_number(yv),
            px(xv),
            HEIGHT - BOTTOM + 16.0,
            short_number(xv),
            y = py(yv),
        );
    }
    let _ = write!(
        svg,
        r#"<text x="12" y="{:.1}" class="unit" transform="rotate(-90 12 {:.1})" text-anchor="middle">{}</text>"#,
        TOP + plot_h / 2.0,
        TOP + plot_h / 2.0,
        escape(y_unit)
    );
    for (index, line) in series.iter().enumerate() {
        let points: Vec<String> = x
            .iter()
            .zip(&line.values)
            .map(|(&xv, &yv)| format!("{:.1},{:.1}", px(xv), py(yv)))
            .collect();
        let _ = write!(
            svg,
            r#"<polyline class="series" data-label="{}" data-points="{}" fill="none" stroke="{}" stroke-width="2" points="{}"/>"#,
            escape(line.label),
            points.len(),
            line.color,
            points.join(" ")
        );
        let legend_x = LEFT + 8.0 + index as f64 * 110.0;
        let _ = write!(
            svg,
            r#"<rect x="{legend_x:.1}" y="{:.1}" width="12" height="4" fill="{}"/><text x="{:.1}" y="{:.1}" class="legend">{}</text>"#,
            HEIGHT - 12.0,
            line.color,
            legend_x + 16.0,
            HEIGHT - 8.0,
            escape(line.label)
        );
    }
    svg.push_str("</svg>");
    svg
}

/// A round number at or above `value`, so the top of the axis is readable.
fn nice_ceiling(value: f64) -> f64 {
    if !(value.is_finite() && value > 0.0) {
        return 1.0;
    }
    let magnitude = 10f64.powf(value.log10().floor());
    [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|step| step * magnitude)
        .find(|&top| top >= value)
        .unwrap_or(10.0 * magnitude)
}

fn short_number(value: f64) -> String {
    if value >= 10_000.0 {
        format!("{:.0}k", value / 1000.0)
    } else if value >= 100.0 || value == value.trunc() {
        format!("{value:.0}")
    } else {
        format!("{value:.1}")
    }
}

/// Escapes text for HTML and SVG.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chart_has_one_polyline_per_series_with_its_points() {
        let svg = line_chart(
            "rps",
            "req/s",
            &[1.0, 2.0, 3.0],
            &[
                Series {
                    label: "req/s",
                    color: "#1f77b4",
                    values: vec![10.0, 20.0, 15.0],
                },
                Series {
                    label: "<fail>",
                    color: "#d62728",
                    values: vec![0.0, 1.0, 0.0],
                },
            ],
        );
        assert_eq!(svg.matches("<polyline").count(), 2);
        assert!(svg.contains(r#"data-points="3""#));
        assert!(svg.contains("&lt;fail&gt;"));
        assert!(!svg.contains("<fail>"));
    }

    #[test]
    fn axes_end_on_round_numbers() {
        assert_eq!(nice_ceiling(0.0), 1.0);
        assert_eq!(nice_ceiling(7.3), 10.0);
        assert_eq!(nice_ceiling(180.0), 200.0);
        assert_eq!(nice_ceiling(2400.0), 2500.0);
    }
}
