//! Maildir storage: one Maildir per user and folder, `DATA/<user>/<folder>/{tmp,new,cur}`.
//!
//! Delivery follows the Maildir protocol: the message is written under a unique name into `tmp/`,
//! fsynced, then renamed into `new/` (and the directory fsynced), so a message is either wholly
//! stored or not at all. A delivery to several mailboxes first writes every copy into its `tmp/`
//! and only then renames them all, so a failure while writing leaves nothing delivered.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The folders every user has.
pub const FOLDERS: [&str; 3] = ["INBOX", "Sent", "Drafts"];

/// The longest message id accepted.
const MAX_ID_LEN: usize = 200;

/// Whether `id` is a message id this server could have made: 1 to 200 characters of
/// `[A-Za-z0-9._-]`, not starting with a dot. This is what keeps ids from naming other files.
pub fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_ID_LEN
        && !id.starts_with('.')
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'_' || b == b'-')
}

/// Whether `folder` is one of [`FOLDERS`].
pub fn valid_folder(folder: &str) -> bool {
    FOLDERS.contains(&folder)
}

/// A stored message as listed.
pub struct Entry {
    /// The unique name (the message id).
    pub id: String,
    /// Where it is.
    pub path: PathBuf,
    /// Its size in bytes.
    pub size: u64,
    /// When it was delivered.
    pub modified: SystemTime,
}

/// A copy written into `tmp/`, waiting to be renamed into `new/`.
struct Pending {
    tmp: PathBuf,
    new: PathBuf,
    id: String,
}

/// The Maildirs of all users under one root.
pub struct Store {
    root: PathBuf,
    host: String,
    counter: AtomicU64,
}

impl Store {
    /// Opens (creating as needed) the Maildirs of `users` under `root`, and removes `tmp/` files
    /// older than 36 hours (left by a crash mid-delivery), as the Maildir protocol asks.
    pub fn open(root: &Path, users: &[String]) -> io::Result<Store> {
        let host = fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
        let host: String = host.trim().chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-').collect();
        let host = if host.is_empty() { "localhost".to_string() } else { host };
        let store = Store { root: root.to_path_buf(), host, counter: AtomicU64::new(0) };
        for user in users {
            for folder in FOLDERS {
                let dir = store.dir(user, folder);
                for sub in ["tmp", "new", "cur"] {
                    fs::create_dir_all(dir.join(sub))?;
                }
                store.clean_tmp(&dir.join("tmp"))?;
            }
        }
        Ok(store)
    }

    fn clean_tmp(&self, tmp: &Path) -> io::Result<()> {
        let cutoff = SystemTime::now() - Duration::from_secs(36 * 3600);
        for entry in fs::read_dir(tmp)? {
            let entry = entry?;
            let old = entry.metadata().and_then(|m| m.modified()).map(|t| t < cutoff).unwrap_or(false);
            if old {
                let _ = fs::remove_file(entry.path());
            }
        }
        Ok(())
    }

    /// The Maildir of `user`'s `folder`. Callers pass only known users and [`FOLDERS`].
    fn dir(&self, user: &str, folder: &str) -> PathBuf {
        self.root.join(user).join(folder)
    }

    /// A unique name: seconds, microseconds, process id, a counter and the host name
    /// (`1700000000.M123456P42Q7.host`).
    fn unique_name(&self) -> String {
        let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
        let q = self.counter.fetch_add(1, Ordering::Relaxed);
        format!("{}.M{:06}P{}Q{}.{}", now.as_secs(), now.subsec_micros(), std::process::id(), q, self.host)
    }

    /// Writes `bytes` into `tmp/` of `user`'s `folder` and fsyncs it.
    fn prepare(&self, user: &str, folder: &str, bytes: &[u8]) -> io::Result<Pending> {
        let dir = self.dir(user, folder);
        loop {
            let id = self.unique_name();
            let tmp = dir.join("tmp").join(&id);
            let mut file = match OpenOptions::new().write(true).create_new(true).open(&tmp) {
                Ok(f) => f,
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(e),
            };
            let written = file.write_all(bytes).and_then(|()| file.sync_all());
            if let Err(e) = written {
                let _ = fs::remove_file(&tmp);
                return Err(e);
            }
            let new = dir.join("new").join(&id);
            return Ok(Pending { tmp, new, id });
        }
    }

    /// Delivers `bytes` to every `(user, folder)` in `targets`: all copies into `tmp/` first, then all
    /// renamed into `new/`. Returns the ids, in the order of `targets`.
    pub fn deliver(&self, targets: &[(&str, &str)], bytes: &[u8]) -> io::Result<Vec<String>> {
        let mut pending = Vec::with_capacity(targets.len());
        for (user, folder) in targets {
            match self.prepare(user, folder, bytes) {
                Ok(p) => pending.push(p),
                Err(e) => {
                    for p in &pending {
                        let _ = fs::remove_file(&p.tmp);
                    }
                    return Err(e);
                }
            }
        }
        let mut ids = Vec::with_capacity(pending.len());
        for p in pending {
            fs::rename(&p.tmp, &p.new)?;
            if let Some(dir) = p.new.parent() {
                File::open(dir).and_then(|d| d.sync_all())?;
            }
            ids.push(p.id);
        }
        Ok(ids)
    }

    /// The messages in `user`'s `folder` (`new/` and `cur/`), newest first.
    pub fn list(&self, user: &str, folder: &str) -> io::Result<Vec<Entry>> {
        let dir = self.dir(user, folder);
        let mut out = Vec::new();
        for sub in ["new", "cur"] {
            for entry in fs::read_dir(dir.join(sub))? {
                let entry = entry?;
                let name = entry.file_name();
                let Some(name) = name.to_str() else { continue };
                // In cur/, the name carries `:2,<flags>` after the unique part.
                let id = name.split(':').next().unwrap_or(name);
                if !valid_id(id) {
                    continue;
                }
                let meta = entry.metadata()?;
                if !meta.is_file() {
                    continue;
                }
                out.push(Entry {
                    id: id.to_string(),
                    path: entry.path(),
                    size: meta.len(),
                    modified: meta.modified().unwrap_or(UNIX_EPOCH),
                });
            }
        }
        out.sort_by(|a, b| b.modified.cmp(&a.modified).then_with(|| b.id.cmp(&a.id)));
        Ok(out)
    }

    /// The file of message `id` in `user`'s `folder`, if there is one. `id` must pass [`valid_id`].
    pub fn find(&self, user: &str, folder: &str, id: &str) -> Option<PathBuf> {
        if !valid_id(id) || !valid_folder(folder) {
            return None;
        }
        let dir = self.dir(user, folder);
        let new = dir.join("new").join(id);
        if new.is_file() {
            return Some(new);
        }
        let prefix = format!("{id}:");
        fs::read_dir(dir.join("cur")).ok()?.flatten().map(|e| e.path()).find(|p| {
            p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n == id || n.starts_with(&prefix)) && p.is_file()
        })
    }

    /// Removes message `id` from `user`'s `folder`; whether there was one.
    pub fn remove(&self, user: &str, folder: &str, id: &str) -> io::Result<bool> {
        match self.find(user, folder, id) {
            Some(p) => fs::remove_file(p).map(|()| true),
            None => Ok(false),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids() {
        assert!(valid_id("1700000000.M123456P42Q7.host"));
        for bad in ["", ".", "..", "../x", "a/b", "a\\b", ".hidden", "a:2,S", "a%2f", "a b"] {
            assert!(!valid_id(bad), "{bad}");
        }
        assert!(!valid_id(&"a".repeat(201)));
    }
}
