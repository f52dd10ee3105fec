//! The chart of "what people ask" as server-rendered SVG: a stacked bar per day (answered, clarify,
//! escalated, other) with a legend and the largest day's total on the axis. Plain SVG presentation
//! attributes, no script and no inline style, so it passes the console's content security policy.

use super::stats::{Day, OUTCOMES};
use std::fmt::Write;

const COLOURS: [&str; 4] = ["#2e7d32", "#f9a825", "#c62828", "#9e9e9e"];
const W: usize = 640;
const H: usize = 240;
const LEFT: usize = 36;
const BOTTOM: usize = 40;
const TOP: usize = 28;

/// The SVG of `days` (oldest first).
pub fn svg(days: &[Day]) -> String {
    let max = days
        .iter()
        .map(|d| d.counts.iter().sum::<u64>())
        .max()
        .unwrap_or(0)
        .max(1);
    let plot_h = (H - TOP - BOTTOM) as f64;
    let slot = (W - LEFT) as f64 / days.len().max(1) as f64;
    let mut out = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {W} {H}\" role=\"img\" \
         aria-labelledby=\"chart-title\" class=\"chart\"><title id=\"chart-title\">每日提问数（按结果）</title>"
    );
    legend(&mut out);
    let _ = write!(
        out,
        "<text x=\"{x}\" y=\"{y}\" font-size=\"11\" text-anchor=\"end\">{max}</text>\
         <text x=\"{x}\" y=\"{y0}\" font-size=\"11\" text-anchor=\"end\">0</text>\
         <line x1=\"{LEFT}\" y1=\"{y0}\" x2=\"{W}\" y2=\"{y0}\" stroke=\"#666\"/>",
        x = LEFT - 4,
        y = TOP + 4,
        y0 = H - BOTTOM,
    );
    for (i, d) in days.iter().enumerate() {
        bar(
            &mut out,
            d,
            LEFT as f64 + i as f64 * slot,
            slot,
            plot_h / max as f64,
        );
    }
    out.push_str("</svg>");
    out
}

fn legend(out: &mut String) {
    for (i, ((_, name), colour)) in OUTCOMES.iter().zip(COLOURS).enumerate() {
        let x = LEFT + i * 110;
        let _ = write!(
            out,
            "<rect x=\"{x}\" y=\"6\" width=\"12\" height=\"12\" fill=\"{colour}\"/>\
             <text x=\"{}\" y=\"16\" font-size=\"12\">{name}</text>",
            x + 16
        );
    }
}

/// One day's stacked bar and its `MM-DD` label.
fn bar(out: &mut String, d: &Day, x: f64, slot: f64, per_question: f64) {
    let mut y = (H - BOTTOM) as f64;
    let width = (slot * 0.7).max(1.0);
    for (n, colour) in d.counts.iter().zip(COLOURS) {
        let h = *n as f64 * per_question;
        if *n > 0 {
            y -= h;
            let _ = write!(
                out,
                "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{width:.1}\" height=\"{h:.1}\" fill=\"{colour}\"><title>{} {n}</title></rect>",
                d.day
            );
        }
    }
    let _ = write!(
        out,
        "<text x=\"{:.1}\" y=\"{}\" font-size=\"10\" text-anchor=\"middle\">{}</text>",
        x + width / 2.0,
        H - BOTTOM + 14,
        d.day.get(5..).unwrap_or(&d.day)
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_outcome_of_a_day_is_a_bar_segment_scaled_to_the_busiest_day() {
        let days = vec![
            Day {
                day: "2020-03-31".into(),
                counts: [2, 0, 2, 0],
                escalations: 2,
            },
            Day {
                day: "2020-04-01".into(),
                counts: [1, 0, 0, 0],
                escalations: 0,
            },
        ];
        let s = svg(&days);
        assert!(s.starts_with("<svg") && s.ends_with("</svg>"));
        assert_eq!(s.matches("<title>2020-03-31").count(), 2);
        assert!(s.contains(">03-31</text>") && s.contains(">4</text>"));
        // The busiest day fills the plot: two segments of 86 px each (plot height 172).
        assert!(s.contains("height=\"86.0\" fill=\"#2e7d32\""));
    }
}
