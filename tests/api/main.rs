// Black-box tests of `policybot serve`: the real binary, real HTTP, a fake platform.

// Spawning the server, the fake platform, signed/encrypted callbacks, bounded polls.
mod helpers;
// DingTalk callbacks: signatures, malformed input, answers, clarify picks, de-duplication.
mod dingtalk;
// WeCom callbacks: URL verification, encrypted messages and passive replies, rejections.
mod wecom;
// Human escalation: tickets, officer commands, the admin API, outbox delivery and durability.
mod escalation;
// Attacks and faults from the hardening review: hostile input, replays, storage damage and failure.
mod hardening;
// Time in the knowledge base: measures in force, expiring, lapsed, superseded, upcoming; as_of; faq status.
mod knowledge;
// Drafts (faq build, 入库) are refused by faq check and serve until written and reviewed.
mod drafts;
// Officers answer with an FAQ entry; the questions become draft phrasings.
mod teach;
// Markdown injection: hostile titles, nicks, questions and officer text reach groups neutralised.
mod injection;
// Slow and idle clients: header and idle timeouts, shutdown grace, the connection limit, fd exhaustion.
mod slow_clients;
// Small faults: non-JSON 200 from a send API, destinations off the allow-list, TOML errors by key.
mod small_faults;
// What operators see: /metrics, logs, durations in the config, start-up warnings.
mod operations;
// `policybot queue …` against a running server.
mod cli;
// faq check guards the editorial rules: local places, limiting words, the scope lexicon, reports, thesaurus.
mod editorial;
// An escalation with a reference, a greeting + question, a two-question message.
mod mixed;
// Groups configured as a place's: another place's measure goes to an officer 供参考; ask --place.
mod places;
// FAQ accuracy on our own labelled questions (tests/questions), with floors.
mod accuracy;
// Hot reload of faq/ while callbacks arrive: API, CLI and SIGHUP; a broken faq/ is refused.
mod reload;
// The officers' console in headless Chromium: sign-in, tickets, try-it, drafts, refusals.
mod console;
// What people receive around the answers (issue 13): how every ticket ends, names in late messages,
// instructions that work, officers' words and rules, promises with a time, repeats, delivery failures.
mod receive;
// DingTalk Stream mode against a fake gateway: acks, answers, pings, disconnect, drops, credentials.
mod stream;
// The WeCom intelligent robot's long connection against a fake server: replies, heartbeats, take-over.
mod aibot;
