//! What the bot says about when a measure applies: the plain opening statement for a measure not in force
//! on the day asked (lapsed, superseded, not yet in effect), the closing offer of an officer, the tail
//! note of a measure about to end, and the short tag on a numbered suggestion.

use crate::faq::{Status, Timeline};

/// The plain statement of the status of a measure not in force; `None` when it is in force.
pub fn statement(t: &Timeline, status: Status) -> Option<String> {
    Some(match status {
        Status::InForce | Status::Expiring => return None,
        Status::Upcoming => match t.effective {
            Some(d) => format!("该措施自 {} 起施行，目前尚未施行。", d.chinese()),
            None => "该措施目前尚未施行。".to_owned(),
        },
        Status::Lapsed => lapsed(t),
        Status::Superseded => match &t.superseded {
            Some(s) => format!("该措施已被《{}》替代。", s.title),
            None => "该措施已被替代。".to_owned(),
        },
    })
}

/// The statement followed by the lead-in to the quote.
pub fn opening(t: &Timeline, status: Status) -> Option<String> {
    let lead_in = match status {
        Status::Upcoming => "以下为规定原文：",
        _ => "以下为原规定，仅作历史参考：",
    };
    statement(t, status).map(|s| format!("{s}{lead_in}"))
}

fn lapsed(t: &Timeline) -> String {
    match &t.end {
        Some(end) => match &end.period {
            Some(label) => format!(
                "该措施为{label}的阶段性措施，已于 {} 停止执行。",
                end.on.chinese()
            ),
            None => format!("该措施已于 {} 停止执行。", end.on.chinese()),
        },
        None => "该措施已停止执行。".to_owned(),
    }
}

/// The closing line after a measure not in force: where the current rule is, and the officers.
pub fn closing(t: &Timeline) -> String {
    match t.superseded.as_ref().and_then(|s| s.question.as_deref()) {
        Some(q) => format!("现行规定可以问：“{q}”；如需工作人员确认，请 @我 回复“人工”。"),
        None => "如需了解现行规定，请 @我 回复“人工”转交工作人员。".to_owned(),
    }
}

/// The note after a measure in force that ends or is replaced within the expiring window.
pub fn ending_soon(t: &Timeline) -> Option<String> {
    let end = t.end.as_ref().map(|e| e.on);
    let replaced = t
        .superseded
        .as_ref()
        .and_then(|s| s.from.map(|f| (f, &s.title)));
    match (end, replaced) {
        (Some(e), Some((f, _))) if e < f => {
            Some(format!("（该措施将于 {} 停止执行）", e.chinese()))
        }
        (_, Some((f, title))) => Some(format!(
            "（该措施将于 {} 起由《{title}》替代）",
            f.chinese()
        )),
        (Some(e), None) => Some(format!("（该措施将于 {} 停止执行）", e.chinese())),
        (None, None) => None,
    }
}

/// A short tag for a numbered suggestion that is not in force.
pub fn tag(status: Status) -> &'static str {
    match status {
        Status::InForce | Status::Expiring => "",
        Status::Upcoming => "（尚未施行）",
        Status::Lapsed => "（已停止执行）",
        Status::Superseded => "（已被替代）",
    }
}
