//! Who is signed in: random session ids in an HttpOnly, SameSite=Strict cookie (Secure when
//! `console.secure_cookies`), each with its own CSRF token and an expiry; the one-time set-up token; and
//! the limit on failed sign-ins per account name. Sessions live in memory: a restart signs everyone out.

use super::accounts::{Account, Role};
use rand::RngCore;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use subtle::ConstantTimeEq;

pub const COOKIE: &str = "pb_session";
/// The cookie of the sign-in form's CSRF token (double submit: there is no session yet).
pub const PRE_COOKIE: &str = "pb_signin";
/// The window failed sign-ins are counted in.
const FAILURE_WINDOW: Duration = Duration::from_secs(15 * 60);
/// Failed sign-ins of all names together per minute, against spraying many names.
const GLOBAL_FAILURES_PER_MINUTE: usize = 60;

/// A signed-in officer.
#[derive(Debug, Clone)]
pub struct Session {
    pub name: String,
    pub role: Role,
    pub csrf: String,
    expires: Instant,
}

impl Session {
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }

    /// True when `given` is this session's CSRF token (constant time).
    pub fn csrf_ok(&self, given: &str) -> bool {
        tokens_equal(&self.csrf, given)
    }
}

/// Sessions, the set-up token and failed sign-ins.
pub struct Sessions {
    ttl: Duration,
    max_failures: usize,
    live: Mutex<HashMap<String, Session>>,
    setup: Mutex<Option<String>>,
    failures: Mutex<HashMap<String, Vec<Instant>>>,
}

impl Sessions {
    pub fn new(ttl: Duration, max_failures: usize) -> Sessions {
        Sessions {
            ttl,
            max_failures,
            live: Mutex::default(),
            setup: Mutex::default(),
            failures: Mutex::default(),
        }
    }

    /// Starts a session; returns its id (the cookie value).
    pub fn start(&self, account: &Account) -> String {
        let id = random_token();
        let session = Session {
            name: account.name.clone(),
            role: account.role,
            csrf: random_token(),
            expires: Instant::now() + self.ttl,
        };
        let mut live = self.live.lock().expect("sessions lock");
        let now = Instant::now();
        live.retain(|_, s| s.expires > now);
        live.insert(id.clone(), session);
        id
    }

    /// The unexpired session with this id.
    pub fn get(&self, id: &str) -> Option<Session> {
        let live = self.live.lock().expect("sessions lock");
        live.get(id).filter(|s| s.expires > Instant::now()).cloned()
    }

    pub fn end(&self, id: &str) {
        self.live.lock().expect("sessions lock").remove(id);
    }

    /// Makes the one-time set-up token (first start with no account).
    pub fn new_setup_token(&self) -> String {
        let token = random_token();
        *self.setup.lock().expect("setup lock") = Some(token.clone());
        token
    }

    /// True when `given` is the unused set-up token.
    pub fn setup_ok(&self, given: &str) -> bool {
        let setup = self.setup.lock().expect("setup lock");
        setup.as_deref().is_some_and(|t| tokens_equal(t, given))
    }

    /// Uses up the set-up token.
    pub fn take_setup(&self, given: &str) -> bool {
        let mut setup = self.setup.lock().expect("setup lock");
        let ok = setup.as_deref().is_some_and(|t| tokens_equal(t, given));
        if ok {
            *setup = None;
        }
        ok
    }

    /// False when `name` (or everyone together) has failed too often lately: refuse without checking.
    pub fn may_try(&self, name: &str) -> bool {
        let mut failures = self.failures.lock().expect("failures lock");
        let now = Instant::now();
        failures.retain(|_, v| {
            v.retain(|t| now.duration_since(*t) < FAILURE_WINDOW);
            !v.is_empty()
        });
        let recent = failures
            .values()
            .flatten()
            .filter(|t| now.duration_since(**t) < Duration::from_secs(60))
            .count();
        let own = failures.get(name).map_or(0, Vec::len);
        own < self.max_failures && recent < GLOBAL_FAILURES_PER_MINUTE
    }

    pub fn failed(&self, name: &str) {
        let mut failures = self.failures.lock().expect("failures lock");
        failures
            .entry(name.to_owned())
            .or_default()
            .push(Instant::now());
    }
}

/// 32 random bytes, hex.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

pub fn tokens_equal(a: &str, b: &str) -> bool {
    !a.is_empty() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

/// A `Set-Cookie` value: HttpOnly, SameSite=Strict, Path=/, Secure when asked; `max_age` 0 deletes it.
pub fn set_cookie(name: &str, value: &str, max_age: Duration, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!(
        "{name}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{secure}",
        max_age.as_secs()
    )
}

/// The value of cookie `name` in a `Cookie` header.
pub fn cookie<'a>(header: &'a str, name: &str) -> Option<&'a str> {
    header
        .split(';')
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account() -> Account {
        let dir = tempfile::tempdir().unwrap();
        let accounts = super::super::accounts::Accounts::load(&[], dir.path()).unwrap();
        accounts.add_admin("王科长", "pw").unwrap()
    }

    #[test]
    fn a_session_has_its_own_csrf_token_and_ends() {
        let s = Sessions::new(Duration::from_secs(60), 5);
        let id = s.start(&account());
        let session = s.get(&id).unwrap();
        assert_eq!(session.name, "王科长");
        assert!(session.csrf_ok(&session.csrf.clone()));
        assert!(!session.csrf_ok(""));
        assert!(!session.csrf_ok("x"));
        s.end(&id);
        assert!(s.get(&id).is_none());
    }

    #[test]
    fn an_expired_session_is_gone() {
        let s = Sessions::new(Duration::from_millis(1), 5);
        let id = s.start(&account());
        std::thread::sleep(Duration::from_millis(5));
        assert!(s.get(&id).is_none());
    }

    #[test]
    fn failed_sign_ins_are_limited_per_name() {
        let s = Sessions::new(Duration::from_secs(60), 3);
        for _ in 0..3 {
            assert!(s.may_try("王科长"));
            s.failed("王科长");
        }
        assert!(!s.may_try("王科长"));
        assert!(s.may_try("李科长"));
    }

    #[test]
    fn the_set_up_token_works_once() {
        let s = Sessions::new(Duration::from_secs(60), 3);
        let t = s.new_setup_token();
        assert!(!s.take_setup("wrong"));
        assert!(s.setup_ok(&t));
        assert!(s.take_setup(&t));
        assert!(!s.take_setup(&t));
    }

    #[test]
    fn cookies_are_strict_and_http_only() {
        let c = set_cookie(COOKIE, "abc", Duration::from_secs(60), true);
        assert_eq!(
            c,
            "pb_session=abc; Path=/; HttpOnly; SameSite=Strict; Max-Age=60; Secure"
        );
        assert_eq!(cookie("a=1; pb_session=abc", COOKIE), Some("abc"));
        assert_eq!(cookie("a=1", COOKIE), None);
    }
}
