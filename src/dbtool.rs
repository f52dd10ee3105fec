//! `policybot db check|backup|restore|compact`: the way out when the data dir is damaged. Offline commands open
//! the data dir themselves (sled allows one process, so the bot must be stopped); `backup --online` asks
//! the running server instead.

use crate::client::{ServerArgs, block_on, client};
use crate::clock::now_ms;
use crate::config::Config;
use crate::store::{Backend, SledStore, restore as restore_backup};
use anyhow::{Context, Result, bail};
use clap::Subcommand;
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(Subcommand, Debug)]
pub enum DbCommand {
    /// Open the data dir (the bot must be stopped), compare it with its manifest and read every record.
    /// Exit 1 and say what is wrong when it is damaged.
    Check {
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// Write a backup of every record to FILE: from the data dir when the bot is stopped, or with
    /// --online from the running server's admin API.
    Backup {
        file: PathBuf,
        /// Ask the running server (needs the admin token).
        #[arg(long)]
        online: bool,
        #[command(flatten)]
        server: ServerArgs,
    },
    /// Rewrite the database to give back the space of removed records (the bot must be stopped): a
    /// backup restored in place, checked, the old files then deleted.
    Compact {
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// Replace the data dir's database with BACKUP (the bot must be stopped). The old database is moved
    /// aside, not deleted; ticket numbers continue above every number already issued.
    Restore {
        backup: PathBuf,
        #[arg(long)]
        config: Option<PathBuf>,
    },
}

pub fn run(command: DbCommand) -> Result<()> {
    match command {
        DbCommand::Check { config } => check(&data_dir(config.as_deref())?),
        DbCommand::Backup {
            file,
            online: true,
            server,
        } => backup_online(&file, &server),
        DbCommand::Backup { file, server, .. } => {
            backup_offline(&data_dir(server.config.as_deref())?, &file)
        }
        DbCommand::Restore { backup, config } => restore(&data_dir(config.as_deref())?, &backup),
        DbCommand::Compact { config } => compact(&data_dir(config.as_deref())?),
    }
}

fn data_dir(config: Option<&Path>) -> Result<PathBuf> {
    Ok(Config::load(config)?.server.data_dir)
}

fn open(dir: &Path) -> Result<SledStore> {
    SledStore::open(dir).with_context(|| format!("opening the database in {}", dir.display()))
}

fn check(dir: &Path) -> Result<()> {
    let report = open(dir)?.check()?;
    println!(
        "db check: ok ({}: commit {}, {} tickets, next ticket #{}, {} outbox items, {} message ids remembered)",
        dir.display(),
        report.generation,
        report.tickets,
        report.next_ticket,
        report.outbox,
        report.seen
    );
    Ok(())
}

fn backup_offline(dir: &Path, file: &Path) -> Result<()> {
    let store = open(dir)?;
    let mut out = Vec::new();
    let records = store.backup(&mut out, now_ms())?;
    write_file(file, &out)?;
    println!("db backup: {records} records written to {}", file.display());
    Ok(())
}

fn backup_online(file: &Path, server: &ServerArgs) -> Result<()> {
    let dump = block_on(async { client(server)?.backup().await })?;
    if dump.is_empty() {
        bail!("the server sent an empty backup");
    }
    write_file(file, &dump)?;
    println!(
        "db backup: {} bytes from the running server written to {}",
        dump.len(),
        file.display()
    );
    Ok(())
}

/// Writes and fsyncs `bytes` (a backup that is not on disk is no backup).
fn write_file(file: &Path, bytes: &[u8]) -> Result<()> {
    let mut f =
        std::fs::File::create(file).with_context(|| format!("creating {}", file.display()))?;
    f.write_all(bytes)?;
    f.sync_all()
        .with_context(|| format!("syncing {}", file.display()))
}

fn compact(dir: &Path) -> Result<()> {
    let before = crate::store::dir_bytes(dir);
    let now = now_ms();
    let mut dump = Vec::new();
    let records = open(dir)?.backup(&mut dump, now)?;
    let restored = restore_backup(dir, dump.as_slice(), now)
        .with_context(|| format!("rewriting the database in {}", dir.display()))?;
    open(dir)?.check()?;
    if let Some(aside) = restored.moved_aside {
        std::fs::remove_dir_all(&aside)
            .with_context(|| format!("removing the old files in {}", aside.display()))?;
    }
    println!(
        "db compact: {records} records; {} -> {} bytes",
        before,
        crate::store::dir_bytes(dir)
    );
    Ok(())
}

fn restore(dir: &Path, file: &Path) -> Result<()> {
    let input = std::fs::File::open(file).with_context(|| format!("opening {}", file.display()))?;
    std::fs::create_dir_all(dir)?;
    let r = restore_backup(dir, std::io::BufReader::new(input), now_ms())
        .with_context(|| format!("restoring {} into {}", file.display(), dir.display()))?;
    println!(
        "db restore: {} records restored into {}; next ticket #{}",
        r.records,
        dir.display(),
        r.next_ticket
    );
    if let Some(aside) = r.moved_aside {
        println!("the previous database was kept at {}", aside.display());
    }
    Ok(())
}
