//! Groups configured as one place's (issue 14): in a group whose home is 郑州, a question that names no
//! place is decided as if it named 郑州. The scope guard ([`super::scope`]) then keeps other places'
//! measures from answering and lets a city report of 郑州 stand over its provincial measure. When the best
//! candidate of the question as asked was another place's measure, the question goes to an officer with
//! that measure quoted for reference (供参考; the quote says whose practice it is), as for a limited measure
//! asked about beyond its reach ([`super::detail::Detail::Beyond`]). A question that names a place is
//! judged by that place, whatever the group's.

use super::scope::Named;
use super::{Decision, Matcher, Outcome, Ranked, Reference, detail};

/// A group's place, resolved in one matcher (see [`Matcher::home`]); valid only for that matcher.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Home(u16);

impl Home {
    /// The place's position in the base's `places` (the base the matcher was built from).
    pub fn index(self) -> usize {
        usize::from(self.0)
    }
}

/// The reason of an escalation whose best candidate was another place's measure.
pub const ANOTHER_PLACE: &str = "another place's measure";

/// A question's ranking in its group: the candidates that may answer there, whether the scope guard
/// removed one, and the best candidate of the question as asked when it is another place's measure.
pub(super) struct Ranking {
    pub ranked: Vec<Ranked>,
    pub blocked: bool,
    pub elsewhere: Option<Ranked>,
}

impl Matcher {
    /// The place with this name or alias of `places.toml`, as a group's home.
    pub fn home(&self, name: &str) -> Option<Home> {
        self.scope.place(name).map(Home)
    }

    /// Ranks a question asked in a group whose home is `home` (see the module doc); without a home, or
    /// when the question names a place, it is ranked as asked.
    pub(super) fn rank_in(&self, prepared: &str, named: &[Named], home: Option<Home>) -> Ranking {
        let homed = home.and_then(|h| Some((h.0, self.scope.at_home(named, h.0)?)));
        // Scored once; only the selection depends on the place.
        let scored = self.score(prepared);
        let Some((home, homed)) = homed else {
            let (ranked, blocked) = self.select(scored, named);
            return Ranking {
                ranked,
                blocked,
                elsewhere: None,
            };
        };
        let (asked, _) = self.select(scored.clone(), named);
        let elsewhere = asked
            .first()
            .filter(|c| c.score >= self.thresholds.clarify && self.scope.elsewhere(c.entry, home))
            .copied();
        let (ranked, blocked) = self.select(scored, &homed);
        Ranking {
            ranked,
            blocked,
            elsewhere,
        }
    }

    /// The escalation of a question whose best candidate was `elsewhere`, another place's measure: that
    /// measure first among the candidates and quoted for reference.
    pub(super) fn referred_elsewhere(
        &self,
        normalized: String,
        mut ranked: Vec<Ranked>,
        elsewhere: Ranked,
    ) -> Decision {
        ranked.insert(0, elsewhere);
        ranked.truncate(3);
        let mut d = self.decision(Outcome::Escalated, normalized, ranked, Some(ANOTHER_PLACE));
        d.reference = Some(Reference {
            id: self.ids[elsewhere.entry].clone(),
            detail: detail::Detail::Beyond,
        });
        d
    }
}

#[cfg(test)]
mod tests {
    use super::super::Thresholds;
    use super::*;
    use crate::faq::fixtures::{base, entry};
    use crate::faq::scope::{Place, Report};
    use crate::faq::{Entry, FaqBase, Source};

    const PIG: &str = "生猪养殖项目环评实行告知承诺制吗";
    const ONLINE: &str = "环评审批能不能网上办理";

    fn place(name: &str, parent: Option<&str>) -> Place {
        Place {
            name: name.into(),
            aliases: vec![format!("{name}市")],
            parent: parent.map(Into::into),
        }
    }

    fn local(mut e: Entry, source: &str, place: &str) -> Entry {
        e.source = source.into();
        e.applies_to.place = Some(place.into());
        e
    }

    fn source(b: &mut FaqBase, slug: &str, issuer: &str) {
        let mut s: Source = b.sources["s"].clone();
        (s.slug, s.title, s.issuer) = (slug.into(), "优化审批服务".into(), issuer.into());
        b.sources.insert(slug.into(), s);
    }

    /// A provincial base with 开封's own pig-farm measure and 郑州's report of the online approval (which
    /// adds a detail of its own: the approval posted).
    fn matcher() -> Matcher {
        let entries = vec![
            local(
                entry(
                    "kf-pig",
                    PIG,
                    &["养猪场环评能告知承诺吗"],
                    &["生猪养殖"],
                    "压缩到2天。",
                ),
                "kf",
                "开封",
            ),
            entry(
                "online",
                ONLINE,
                &["环评可以网上审批吗"],
                &["网上"],
                "全程网上办理。",
            ),
            local(
                entry(
                    "zz-online",
                    ONLINE,
                    &["环评可以网上审批吗", "环评批文能快递寄到单位吗"],
                    &["网上", "快递"],
                    "网上办、不见面，批文快递寄送。",
                ),
                "zz",
                "郑州",
            ),
            entry(
                "licence",
                "辐射安全许可证到期了怎么办",
                &[],
                &["顺延"],
                "自动顺延。",
            ),
        ];
        let mut b = base(entries, "");
        b.sources.get_mut("s").unwrap().issuer = "河南省生态环境厅".into();
        source(&mut b, "kf", "开封市生态环境局");
        source(&mut b, "zz", "郑州市生态环境局");
        b.places = vec![
            place("河南", None),
            place("开封", Some("河南")),
            place("郑州", Some("河南")),
        ];
        b.reports = vec![Report {
            entry: "zz-online".into(),
            place: "郑州".into(),
            measure: "online".into(),
        }];
        Matcher::build(&b, Thresholds::default())
    }

    fn outcome(d: &Decision) -> (Outcome, Option<&str>) {
        (d.outcome, d.best().map(|c| c.id.as_str()))
    }

    #[test]
    fn places_resolve_by_name_or_alias() {
        let m = matcher();
        assert!(m.home("郑州").is_some());
        assert_eq!(m.home("郑州市"), m.home("郑州"));
        assert_ne!(m.home("开封"), m.home("郑州"));
        assert_eq!(m.home("汴京"), None);
    }

    #[test]
    fn another_places_measure_is_escalated_with_it_for_reference_in_a_group_of_a_place() {
        let m = matcher();
        let anywhere = m.decide(PIG);
        assert_eq!(outcome(&anywhere), (Outcome::Answered, Some("kf-pig")));
        let d = m.decide_in(PIG, m.home("郑州"));
        assert_eq!(outcome(&d), (Outcome::Escalated, Some("kf-pig")), "{d:?}");
        assert_eq!(d.reason, Some(ANOTHER_PLACE));
        let r = d.reference.expect("a reference");
        assert_eq!(
            (r.id.as_str(), r.detail),
            ("kf-pig", detail::Detail::Beyond)
        );
    }

    #[test]
    fn a_places_own_measure_answers_in_its_group() {
        let m = matcher();
        let d = m.decide_in(PIG, m.home("开封市"));
        assert_eq!(outcome(&d), (Outcome::Answered, Some("kf-pig")), "{d:?}");
    }

    #[test]
    fn a_question_naming_a_place_is_judged_by_that_place_whatever_the_groups() {
        let m = matcher();
        let named = format!("开封{PIG}");
        let d = m.decide_in(&named, m.home("郑州"));
        assert_eq!(outcome(&d), (Outcome::Answered, Some("kf-pig")), "{d:?}");
        let d = m.decide_in(&format!("郑州{ONLINE}"), m.home("开封"));
        assert_eq!(outcome(&d), (Outcome::Answered, Some("zz-online")), "{d:?}");
    }

    #[test]
    fn a_city_report_answers_over_its_provincial_measure_in_the_citys_group() {
        let m = matcher();
        assert_eq!(
            outcome(&m.decide(ONLINE)),
            (Outcome::Answered, Some("online"))
        );
        let home = m.decide_in(ONLINE, m.home("郑州"));
        assert_eq!(outcome(&home), (Outcome::Answered, Some("zz-online")));
        let other = m.decide_in(ONLINE, m.home("开封"));
        assert_eq!(outcome(&other), (Outcome::Answered, Some("online")));
    }

    #[test]
    fn a_city_report_answers_a_question_only_its_own_words_carry_as_the_citys_practice() {
        let m = matcher();
        let d = m.decide("环评批文能快递寄到我们单位吗");
        assert_eq!(outcome(&d), (Outcome::Answered, Some("zz-online")), "{d:?}");
        // Asked about the rule both state, the provincial measure still answers.
        let d = m.decide(ONLINE);
        assert_eq!(outcome(&d), (Outcome::Answered, Some("online")), "{d:?}");
    }

    #[test]
    fn a_measure_of_no_place_answers_in_every_group() {
        let m = matcher();
        for home in [None, m.home("郑州"), m.home("开封")] {
            let d = m.decide_in("辐射安全许可证到期了怎么办", home);
            assert_eq!(outcome(&d), (Outcome::Answered, Some("licence")));
        }
    }

    #[test]
    fn a_district_measure_in_a_city_item_is_the_district_s_not_the_city_s() {
        // 信阳's item reports a 平桥 district measure: a 罗山 group (罗山 lies in 信阳, not in 平桥) gets it only
        // for reference, a 平桥 group gets it as its own.
        let district = local(
            entry(
                "pq-storage",
                "医院医废要专人管理、分类存放吗",
                &["医废要不要分类存放"],
                &["分类存放"],
                "专人管理、分类存放。",
            ),
            "xy",
            "平桥",
        );
        let mut b = base(vec![district], "");
        source(&mut b, "xy", "信阳市生态环境局直属二分局");
        b.places = vec![
            place("河南", None),
            place("信阳", Some("河南")),
            place("平桥", Some("信阳")),
            place("罗山", Some("信阳")),
        ];
        let m = Matcher::build(&b, Thresholds::default());
        let q = "医院医废要专人管理、分类存放吗";
        let elsewhere = m.decide_in(q, m.home("罗山"));
        assert_eq!(elsewhere.outcome, Outcome::Escalated);
        assert_eq!(elsewhere.reason, Some(ANOTHER_PLACE));
        let own = m.decide_in(q, m.home("平桥"));
        assert_eq!(outcome(&own), (Outcome::Answered, Some("pq-storage")));
    }
}
