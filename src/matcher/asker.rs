//! Who is asking. A question often says what kind of firm it speaks for ("我们是危化品经营企业",
//! "我们车队…") or that it speaks for a workplace ("厂里的废油漆桶…"). A measure written for one kind of
//! firm (`applies_to.enterprise`, e.g. 危险化学品生产企业) does not answer another kind, and household advice
//! (`applies_to.setting = "household"`) does not answer a factory: such a question goes to an officer with
//! the measure attached for reference, as one asking whether a limited measure also holds for others.
//!
//! The kinds are the links of a supply chain as Chinese regulation names them (生产, 经营, 储存, 运输,
//! 使用: the 危险化学品安全管理条例's own division), not words taken from test questions.

/// A link of the supply chain a firm can be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Production,
    Trade,
    Storage,
    Transport,
    Use,
}

/// How a question or a measure names each kind.
const KINDS: &[(Kind, &[&str])] = &[
    (
        Kind::Production,
        &["生产企业", "生产单位", "生产厂家", "生产商", "制造企业"],
    ),
    (
        Kind::Trade,
        &[
            "经营企业",
            "经营单位",
            "经营户",
            "贸易公司",
            "贸易企业",
            "贸易商",
            "商贸",
            "批发",
            "零售",
            "经销",
            "销售企业",
            "销售公司",
            "只做销售",
            "不生产",
        ],
    ),
    (
        Kind::Storage,
        &["储存企业", "储存单位", "仓储企业", "仓储公司", "仓储单位"],
    ),
    (
        Kind::Transport,
        &[
            "运输企业",
            "运输公司",
            "运输单位",
            "物流公司",
            "物流企业",
            "车队",
        ],
    ),
    (Kind::Use, &["使用单位", "使用企业"]),
];

/// Words by which a question speaks for a workplace rather than a household.
const WORKPLACE: &[&str] = &[
    "工厂",
    "厂里",
    "厂区",
    "车间",
    "公司",
    "企业",
    "单位",
    "工地",
    "园区",
    "生产线",
    "我们厂",
    "仓库",
];

/// Whom an entry's measure is written for, as far as the asker check needs it.
#[derive(Debug, Clone, Default)]
pub struct Limit {
    kinds: Vec<Kind>,
    household: bool,
}

impl Limit {
    pub fn of(e: &crate::faq::Entry) -> Self {
        Limit {
            kinds: e.applies_to.enterprise.as_deref().map_or(vec![], kinds_in),
            household: e.is_household(),
        }
    }

    /// True when the (normalised) question speaks for someone the measure is not written for: a kind of
    /// firm other than the measure's, or a workplace asking about household advice.
    pub fn excludes(&self, question: &str) -> bool {
        if self.household && WORKPLACE.iter().any(|w| question.contains(w)) {
            return true;
        }
        if self.kinds.is_empty() {
            return false;
        }
        let asked = kinds_in(question);
        !asked.is_empty() && asked.iter().all(|k| !self.kinds.contains(k))
    }
}

fn kinds_in(text: &str) -> Vec<Kind> {
    KINDS
        .iter()
        .filter(|(_, words)| words.iter().any(|w| text.contains(w)))
        .map(|(k, _)| *k)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::faq::{Setting, fixtures::entry};

    fn production() -> Limit {
        let mut e = entry(
            "staff",
            "安全员要什么资格",
            &[],
            &[],
            "危险化学品生产企业专职安全管理人员……",
        );
        e.applies_to.enterprise = Some("危险化学品生产企业".into());
        Limit::of(&e)
    }

    #[test]
    fn a_measure_for_production_firms_excludes_a_trading_firm_or_a_fleet() {
        let l = production();
        assert!(l.excludes("我们是危化品经营企业，安全员要什么资格"));
        assert!(l.excludes("我们车队拉危化品的，安全员要啥证"));
        assert!(!l.excludes("我们是危化品生产企业，安全员要什么资格"));
        assert!(!l.excludes("危化品企业安全员要什么资格"));
        assert!(!l.excludes("我们既是生产企业也做批发，安全员要什么资格"));
    }

    #[test]
    fn household_advice_excludes_a_workplace() {
        let mut e = entry("home", "废电池能先放家里吗", &[], &[], "均可暂存家中");
        e.applies_to.setting = Some(Setting::Household);
        let l = Limit::of(&e);
        assert!(l.excludes("厂里的废灯管能先放着吗"));
        assert!(!l.excludes("家里的废电池能先放着吗"));
    }

    #[test]
    fn an_unlimited_measure_excludes_no_one() {
        let l = Limit::of(&entry("any", "问", &[], &[], "答"));
        assert!(!l.excludes("我们是危化品经营企业，安全员要什么资格"));
    }
}
