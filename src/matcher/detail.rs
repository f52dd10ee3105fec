//! Questions that ask for a detail a measure may not state: an amount, a deadline or date, a duration, a form
//! or template, a menu or web address, a phone number or office hours, trouble with one's account, whether
//! one named firm qualifies, what changed later, how to apply or how something is classified (a direction
//! clause such as 设立国家绿色发展基金 states neither), what follows a breach (a duty such as 确保监测设备正常运行 names no
//! penalty), whether a measure written for some places, firms or settings also holds for others
//! ("一般建设项目也能…吗"). When the best entry's quote does not state that kind of detail (for the last kind: when
//! the entry is limited at all), the question goes to an officer with the measure attached for reference
//! instead of being answered as if the quote settled it.

use regex::Regex;
use std::sync::LazyLock;

/// The kind of detail a question asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Detail {
    Amount,
    Deadline,
    Duration,
    Form,
    Channel,
    Contact,
    /// Trouble with one's own account on a system (a password, a failed login).
    Account,
    Eligibility,
    Later,
    /// How to apply for something, or how something is classified.
    Procedure,
    /// Whether a limited measure also holds beyond whom it names.
    Beyond,
    /// What follows a breach: a penalty, a liability (a measure that only says what firms must do
    /// states none).
    Consequence,
}

impl Detail {
    /// What an officer will confirm, as the reply names it.
    pub fn confirm(self) -> &'static str {
        match self {
            Detail::Amount => "具体数额或标准",
            Detail::Deadline => "具体日期或期限",
            Detail::Duration => "具体时长",
            Detail::Form => "具体表格、模板或材料",
            Detail::Channel => "具体办理入口",
            Detail::Contact => "联系方式或办公时间",
            Detail::Account => "账号或系统登录问题",
            Detail::Eligibility => "具体企业是否符合条件",
            Detail::Later => "政策后续是否有调整、现在是否仍适用",
            Detail::Procedure => "具体申请办理程序或划分标准",
            Detail::Beyond => "这项措施是否也适用于您的地区、项目或企业",
            Detail::Consequence => "违反后的处罚或责任",
        }
    }
}

/// A regex with the default lazy-DFA cache (2 MiB at most, grown as states are built). A smaller one
/// (128 KiB, tried to save memory) could not hold the states of the `\p{Han}{0,6}` and `[^，。？?]{0,12}`
/// windows: the cache was cleared again and again, states were built anew for every question and the
/// search fell back to the backtracker, a quarter of `decide`'s instructions. The full cache costs 0.7 MB
/// of peak RSS (examples/match_latency).
fn re(s: &str) -> Regex {
    Regex::new(s).expect("static regex")
}

/// How each kind is asked, in the order they are tried (the most specific first).
static ASKED: LazyLock<Vec<(Detail, Regex)>> = LazyLock::new(|| {
    vec![
        (
            Detail::Later,
            re(
                r"还有效|还管用|还适用|还执行|还算数|失效了?[吗没]|废止|作废|后来(?:有没有|又|还)|最新(?:的|政策|规定|要求)|(?:有没有|是否)(?:更新|调整|变化|新规定)|变了没|改了没|现在都20\d\d|20[2-9]\d年(?:还|以后)",
            ),
        ),
        (
            Detail::Beyond,
            re(
                r"(?:一般|普通|所有|其他|其它|别的|任何|各类|外地|外省)的?\p{Han}{0,6}?(?:项目|企业|行业|工程|单位|地方|地区|城市|市县|厂|场|公司|园区|医院)[^，。？?]{0,12}(?:也|都|同样)(?:能|可以|可|适用|行|用|享受|照|按)|(?:也|都|同样)适用|(?:我们|我司|我厂|咱们)(?:能|可以|能不能|可不可以)(?:用|适用|享受)(?:吗|不|么|嘛|[?？]|$)|(?:适用于|适不适用于?)(?:我们|我司|我厂|咱们)",
            ),
        ),
        (
            Detail::Eligibility,
            re(
                r"(?:我们|我司|我厂|咱们|本公司|本厂|这家|那家|[\p{Han}]{2,8}(?:有限公司|公司|集团|电器|化工|钢铁|水泥|制药|涂装))[^，。？?]{0,14}(?:在不在|算不算|属不属于|属于不属于|符不符合|够不够格|能不能评上|评上[^，。？?]{0,8}(?:没|了吗)|入选[^，。？?]{0,4}(?:没|了吗)|上榜|在名单|在清单|列进|列入[^，。？?]{0,10}(?:没有|了吗|没))|没(?:做|办|有办|批)\p{Han}{0,8}?(?:能|可以|能不能|可不可以)(?:申请|申领|办理|领)",
            ),
        ),
        (
            Detail::Contact,
            re(
                r"电话(?:是|号码?是?)?多少|几点(?:上班|下班|开门|关门)|(?:上班|下班|办公)时间|什么电话|哪个电话|电话号码|号码是多少|手机号|联系方式|联系人是谁|热线是|邮箱|办公地址|地址在哪|在哪办公|微信号",
            ),
        ),
        (
            Detail::Account,
            re(r"账号|账户|密码|登不上|登不进|登录不[上了进]|进不去系统|系统进不去"),
        ),
        (
            Detail::Channel,
            re(
                r"(?:在|去)?哪(?:里|儿)?报名|哪个菜单|什么菜单|菜单在哪|入口在哪|从哪进|在哪里?点|点哪|哪个模块|哪个栏目|网址|网站是|链接|二维码|哪个app|什么app|小程序叫|公众号叫|哪个系统",
            ),
        ),
        (
            Detail::Form,
            re(
                r"什么表|哪个表|哪张表|表格|模板|样表|范本|模版|[怎咋]么填|[如怎]样填|咋填|填哪|(?:交|准备|需要|提供|带)(?:哪些|什么|啥)(?:材料|资料)|要带什么|什么材料|哪些材料|什么资料|材料清单",
            ),
        ),
        (
            Detail::Procedure,
            re(
                r"(?:怎么|怎样|如何|咋)(?:申请|申报|报名|划分)|(?:申请|申报|报名)(?:流程|程序|步骤)|划分(?:标准|依据)",
            ),
        ),
        (
            Detail::Amount,
            re(
                r"多少钱|多少费用|收费多少|收多少|交多少|罚多少|罚款多少|补贴多少|补多少|多少吨|多少人|多少家|多少万|多少元|百分之多少|百分比|比例是?多少|多少比例|几个点|标准是多少|限值是?多少|多大规模|多大产能|多少立方|多少公斤|多少个",
            ),
        ),
        (
            Detail::Deadline,
            re(
                r"(?:什么|啥)时候(?:截止|到期|结束|开始|前)|(?:什么|啥)时候(?:能|才能|可以)?(?:批下来|下来|出来|办好|办完|批完|拿到)|期限(?:能|可以|能不能|可不可以)?(?:延长|延期|顺延|推迟|往后)|截止|截至|哪天|几号|几月几|到什么时候|到啥时候|到哪天|顺延到|延到什么|延长到|有效期到(?:哪|什么时候|啥时候|几)|最晚",
            ),
        ),
        (
            Detail::Duration,
            re(
                r"多久|多长时间|(?:要|得|需要)几天|几天(?:能|可以|内|之内)|几个工作日|多少天|几个月|几周|几年",
            ),
        ),
        (
            Detail::Consequence,
            re(
                r"(?:啥|什么|哪些)(?:后果|处罚|惩罚)|(?:啥|什么)法律责任|后果(?:严重|大|是什么|会)|(?:会|要)(?:不会)?(?:被|挨)?(?:罚|处罚|追责|判刑|坐牢)|罚不罚|[怎咋]么罚|如何处罚|[怎咋]么处罚|受到?(?:什么|啥)?处罚",
            ),
        ),
    ]
});

/// Signs that a quote states each kind of detail.
static STATED: LazyLock<Vec<(Detail, Regex)>> = LazyLock::new(|| {
    let number =
        r"\d|[一二三四五六七八九十两百千万]+(?:个|次|天|日|周|月|年|小时|分钟|吨|元|家|项|条|%|成)";
    vec![
        (
            Detail::Amount,
            re(
                r"\d+(?:\.\d+)?\s*(?:元|万|亿|吨|%|％|℃|°|度|米|公里|公斤|千克|立方|人|家|个|倍|项|条|次)|[一二三四五六七八九十两百千万]+(?:元|万元|吨|家|项|条|个|倍|成)|百分",
            ),
        ),
        (
            Detail::Deadline,
            re(r"\d{4}年|\d+月|\d+日|年底|月底|年前|之前|以前"),
        ),
        (
            Detail::Duration,
            re(&format!(
                "{number}|第一时间|立即|当天|即时|每天|每日|日产日清|随时"
            )),
        ),
        (Detail::Form, re(r"模板|样表|表格|格式|材料清单")),
        (
            Detail::Channel,
            re(r"菜单|栏目|模块|http|www|网址|豫事办|政务服务网|app|公众号|小程序"),
        ),
        (Detail::Contact, re(r"\d{5,}|@")),
        (Detail::Account, re(r"^$")),
        (
            Detail::Procedure,
            re(r"申请|申报|受理|提交|报送|登录|办理|流程|程序|步骤|分为|划分为|负责|分工|职责"),
        ),
        (Detail::Eligibility, re(r"^$")),
        (Detail::Later, re(r"^$")),
        (Detail::Beyond, re(r"^$")),
        (
            Detail::Consequence,
            re(
                r"罚|惩戒|惩处|追究|吊销|责令|查处|打击|取缔|关闭|停产|失信|黑名单|联合惩|法律责任|刑事|移送|严惩|问责|追责|不予|从轻|减轻|曝光",
            ),
        ),
    ]
});

/// The kind of detail a (normalised) question asks for, if any.
pub fn asked(question: &str) -> Option<Detail> {
    ASKED
        .iter()
        .find(|(_, r)| r.is_match(question))
        .map(|(d, _)| *d)
}

/// True when `quote` states a detail of this kind.
pub fn stated(detail: Detail, quote: &str) -> bool {
    STATED
        .iter()
        .find(|(d, _)| *d == detail)
        .is_some_and(|(_, r)| r.is_match(quote))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_of_detail_is_recognised() {
        for (q, d) in [
            ("危废处置一吨收多少钱", Detail::Amount),
            ("自动顺延到什么时候为止", Detail::Deadline),
            ("我们的环评批复什么时候能下来", Detail::Deadline),
            ("申报期限能延长吗", Detail::Deadline),
            ("环评审批一般要多久", Detail::Duration),
            ("承诺书有没有模板可以下载", Detail::Form),
            ("豫事办里从哪进", Detail::Channel),
            ("安全员考试去哪报名", Detail::Channel),
            ("市局环评科电话多少", Detail::Contact),
            ("分局几点下班", Detail::Contact),
            ("网校的账号密码忘了", Detail::Account),
            ("办事大厅登不上咋办", Detail::Account),
            ("申报表那一栏咋填", Detail::Form),
            ("第一次申请要准备哪些材料", Detail::Form),
            ("我们公司在不在正面清单里", Detail::Eligibility),
            ("老厂没办环评能申领排污证吗", Detail::Eligibility),
            ("这个政策现在还有效吗", Detail::Later),
            ("专项资金补贴怎么申请", Detail::Procedure),
            ("四级风险是怎么划分的", Detail::Procedure),
            ("一般建设项目也能用环评告知承诺制吗", Detail::Beyond),
            ("外地的养殖场也可以这样办吗", Detail::Beyond),
            ("告知承诺制我们能用吗", Detail::Beyond),
            (
                "有人故意把监控设备弄坏了，公司会有啥后果",
                Detail::Consequence,
            ),
            ("数据造假会不会被罚", Detail::Consequence),
        ] {
            assert_eq!(asked(q), Some(d), "{q}");
        }
    }

    #[test]
    fn ordinary_questions_ask_for_no_detail() {
        for q in [
            "转产口罩要不要办环评",
            "辐射安全许可证到期了怎么办",
            "什么是无打扰监管",
            "没有排污许可证能不能排污",
            "环境治理中市县党委和政府负什么责任",
            "企业在环境治理里要承担啥责任",
        ] {
            assert_eq!(asked(q), None, "{q}");
        }
    }

    #[test]
    fn a_quote_with_a_figure_states_an_amount_but_not_a_date() {
        let quote = "原则上每月开办1-2次直播授课。";
        assert!(stated(Detail::Amount, quote));
        assert!(stated(Detail::Duration, quote));
        assert!(!stated(Detail::Deadline, quote));
        assert!(!stated(Detail::Eligibility, quote));
    }
}
