//! Console accounts: the `[[console.accounts]]` of the config plus the ones made through the one-time
//! set-up link (kept in `data_dir/console-accounts.toml`, since the embedded default has no config file
//! to write to). Passwords are argon2id PHC strings; verifying a wrong name costs as much as a wrong
//! password, so timing does not tell which names exist.

use crate::config::{ConsoleAccount, Secret};
use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::{LazyLock, RwLock};

/// What an account may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Inbox, tickets, try-it, knowledge (read), what people ask.
    Officer,
    /// Also approves and rejects drafts.
    Admin,
}

impl Role {
    fn parse(s: &str) -> Role {
        if s == "admin" {
            Role::Admin
        } else {
            Role::Officer
        }
    }
}

#[derive(Debug, Clone)]
pub struct Account {
    pub name: String,
    pub role: Role,
    hash: Secret,
}

/// The file the set-up link writes.
#[derive(Default, Serialize, Deserialize)]
struct AccountsFile {
    #[serde(default)]
    accounts: Vec<FileAccount>,
}

#[derive(Serialize, Deserialize)]
struct FileAccount {
    name: String,
    password_hash: String,
    role: String,
}

/// Every account the console knows.
pub struct Accounts {
    list: RwLock<Vec<Account>>,
    file: PathBuf,
}

impl Accounts {
    /// The config's accounts and those of `data_dir/console-accounts.toml`.
    pub fn load(configured: &[ConsoleAccount], data_dir: &Path) -> anyhow::Result<Accounts> {
        let file = data_dir.join("console-accounts.toml");
        let mut list: Vec<Account> = configured
            .iter()
            .map(|a| Account {
                name: a.name.clone(),
                role: Role::parse(&a.role),
                hash: a.password_hash.clone(),
            })
            .collect();
        if let Ok(text) = std::fs::read_to_string(&file) {
            let parsed: AccountsFile = toml::from_str(&text)
                .map_err(|e| anyhow::anyhow!("{}: {}", file.display(), e.message()))?;
            for a in parsed.accounts {
                if !list.iter().any(|b| b.name == a.name) {
                    list.push(Account {
                        name: a.name,
                        role: Role::parse(&a.role),
                        hash: Secret::new(a.password_hash),
                    });
                }
            }
        }
        Ok(Accounts {
            list: RwLock::new(list),
            file,
        })
    }

    pub fn is_empty(&self) -> bool {
        self.list.read().expect("accounts lock").is_empty()
    }

    /// The account when `password` is its password. Always runs one argon2 verification.
    pub fn verify(&self, name: &str, password: &str) -> Option<Account> {
        let found = self
            .list
            .read()
            .expect("accounts lock")
            .iter()
            .find(|a| a.name == name)
            .cloned();
        let hash = found
            .as_ref()
            .map_or(DUMMY_HASH.as_str(), |a| a.hash.expose());
        let ok = PasswordHash::new(hash).is_ok_and(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        });
        found.filter(|_| ok)
    }

    /// Adds the first admin (set-up link) and writes it to the accounts file.
    pub fn add_admin(&self, name: &str, password: &str) -> anyhow::Result<Account> {
        let account = Account {
            name: name.to_owned(),
            role: Role::Admin,
            hash: Secret::new(hash_password(password)?),
        };
        let mut file: AccountsFile = std::fs::read_to_string(&self.file)
            .ok()
            .and_then(|t| toml::from_str(&t).ok())
            .unwrap_or_default();
        file.accounts.push(FileAccount {
            name: account.name.clone(),
            password_hash: account.hash.expose().to_owned(),
            role: "admin".into(),
        });
        let text = toml::to_string(&file)?;
        std::fs::write(
            &self.file,
            format!("# Made by the console's set-up link.\n{text}"),
        )?;
        self.list
            .write()
            .expect("accounts lock")
            .push(account.clone());
        Ok(account)
    }
}

/// A hash of a password nobody has, verified when the name is unknown.
static DUMMY_HASH: LazyLock<String> =
    LazyLock::new(|| hash_password("no such account").expect("hashing a constant"));

/// The argon2id PHC string of `password` (default parameters, random salt).
pub fn hash_password(password: &str) -> anyhow::Result<String> {
    let salt = SaltString::generate(&mut argon2::password_hash::rand_core::OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("hashing the password: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn configured(hash: &str) -> Vec<ConsoleAccount> {
        vec![ConsoleAccount {
            name: "王科长".into(),
            password_hash: Secret::new(hash),
            role: "admin".into(),
        }]
    }

    #[test]
    fn the_right_password_signs_in_and_a_wrong_one_or_name_does_not() {
        let dir = tempfile::tempdir().unwrap();
        let hash = hash_password("秘密 pass").unwrap();
        assert!(hash.starts_with("$argon2id$"));
        let accounts = Accounts::load(&configured(&hash), dir.path()).unwrap();
        assert_eq!(
            accounts.verify("王科长", "秘密 pass").unwrap().role,
            Role::Admin
        );
        assert!(accounts.verify("王科长", "秘密 Pass").is_none());
        assert!(accounts.verify("李科长", "秘密 pass").is_none());
    }

    #[test]
    fn an_admin_made_by_the_set_up_link_survives_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        let accounts = Accounts::load(&[], dir.path()).unwrap();
        assert!(accounts.is_empty());
        accounts.add_admin("admin", "correct horse").unwrap();
        let again = Accounts::load(&[], dir.path()).unwrap();
        assert_eq!(
            again.verify("admin", "correct horse").unwrap().role,
            Role::Admin
        );
    }
}
