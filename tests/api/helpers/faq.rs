//! The repository's FAQ base for tests, and copies of it a test may change.

use std::path::{Path, PathBuf};

/// The repository's `faq/`.
pub fn repo_faq() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/faq"))
}

/// A copy of the repository's `faq/` in a temp dir, changed by `edit`.
pub fn faq_copy(edit: impl FnOnce(&Path)) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let faq = dir.path().join("faq");
    copy_dir(&repo_faq(), &faq);
    edit(&faq);
    (dir, faq)
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let target = to.join(path.file_name().unwrap());
        if path.is_dir() {
            copy_dir(&path, &target);
        } else {
            std::fs::copy(&path, &target).unwrap();
        }
    }
}
