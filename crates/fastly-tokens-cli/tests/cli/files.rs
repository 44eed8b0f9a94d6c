//! `rotate --write-to`: an existing file keeps its owner, group and mode; a symlink is followed
//! to the file it names; a folder or file that cannot be written is refused before anything is
//! created.

use std::os::unix::fs::{MetadataExt as _, PermissionsExt as _};

use super::signals::scratch;
use super::*;

fn rotate_to(fake: &FakeFastly, path: &str) -> Run {
    let alice = fake.seed().user("alice").clone();
    let old = fake.seed().token("ci-purge").id.clone();
    rotate(
        fake,
        &alice.key,
        &["rotate", &old, "--yes", "--write-to", path],
        &alice.password,
    )
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

#[test]
fn an_existing_file_keeps_its_owner_group_and_mode() {
    let (_rt, fake) = started();
    let old = fake.seed().token("ci-purge").id.clone();
    let dir = scratch("owner");
    let file = dir.join("key");
    std::fs::write(&file, "old secret").expect("file");
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o400)).expect("chmod");
    // Another user's file, as an application's secret usually is: needs root to set up.
    let other = if is_root() {
        std::os::unix::fs::chown(&file, Some(65534), Some(65534)).expect("chown");
        Some(65534)
    } else {
        eprintln!("skipped: the other-owner part needs root (chown)");
        None
    };
    let before = std::fs::metadata(&file).expect("meta");
    let out = rotate_to(&fake, file.to_str().expect("utf-8"));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let after = std::fs::metadata(&file).expect("meta");
    assert_eq!(after.permissions().mode() & 0o7777, 0o400, "mode kept");
    assert_eq!(
        (after.uid(), after.gid()),
        (before.uid(), before.gid()),
        "owner kept"
    );
    if let Some(uid) = other {
        assert_eq!(after.uid(), uid);
    }
    assert_ne!(
        after.ino(),
        before.ino(),
        "replaced by a new file (atomically)"
    );
    let secret = std::fs::read_to_string(&file).expect("read");
    assert_eq!(secret.len(), 32);
    assert!(!fake.is_live(&old));
    assert_eq!(
        std::fs::read_dir(&dir).expect("dir").count(),
        1,
        "no temporary file left"
    );

    // A new file is 0600.
    let (_rt2, fake) = started();
    let new_file = dir.join("new");
    let out = rotate_to(&fake, new_file.to_str().expect("utf-8"));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        std::fs::metadata(&new_file)
            .expect("meta")
            .permissions()
            .mode()
            & 0o777,
        0o600
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_symlink_is_followed_to_the_file_it_names() {
    let (_rt, fake) = started();
    let dir = scratch("symlink");
    let target = dir.join("real-key");
    std::fs::write(&target, "old secret").expect("file");
    std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o640)).expect("chmod");
    let link = dir.join("key");
    std::os::unix::fs::symlink(&target, &link).expect("symlink");
    let out = rotate_to(&fake, link.to_str().expect("utf-8"));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        std::fs::symlink_metadata(&link)
            .expect("link")
            .file_type()
            .is_symlink(),
        "the link stays a link"
    );
    let secret = std::fs::read_to_string(&target).expect("target");
    assert_eq!(secret.len(), 32, "the target holds the new secret");
    assert_eq!(
        std::fs::metadata(&target)
            .expect("meta")
            .permissions()
            .mode()
            & 0o777,
        0o640
    );
    assert!(
        out.stdout.contains("the symlink's target"),
        "{}",
        out.stdout
    );

    // A dangling link is refused before anything is created.
    let (_rt2, fake) = started();
    let before = fake.live_tokens();
    let dangling = dir.join("dangling");
    std::os::unix::fs::symlink(dir.join("missing"), &dangling).expect("symlink");
    let out = rotate_to(&fake, dangling.to_str().expect("utf-8"));
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("symlink"), "{}", out.stderr);
    assert_eq!(fake.live_tokens(), before, "nothing was created");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_folder_that_cannot_be_written_is_refused_before_anything_is_created() {
    let dir = scratch("folder");
    // Root writes anywhere permissions allow nothing: /proc refuses new files to everyone.
    let locked = if is_root() {
        std::path::PathBuf::from("/proc/self/fastly-key")
    } else {
        let locked = dir.join("locked");
        std::fs::create_dir_all(&locked).expect("dir");
        std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o500)).expect("chmod");
        locked.join("key")
    };
    for path in [locked, dir.join("no-such-folder/key"), dir.clone()] {
        let (_rt, fake) = started();
        let old = fake.seed().token("ci-purge").id.clone();
        let before = fake.live_tokens();
        let out = rotate_to(&fake, path.to_str().expect("utf-8"));
        assert_eq!(out.code, 2, "{}: {}", path.display(), out.stderr);
        assert!(
            out.stderr.contains("its folder") || out.stderr.contains("not a regular file"),
            "says what the problem is: {}",
            out.stderr
        );
        assert_eq!(fake.live_tokens(), before, "nothing was created");
        assert!(fake.is_live(&old));
    }
    let _ = std::fs::set_permissions(dir.join("locked"), std::fs::Permissions::from_mode(0o700));
    let _ = std::fs::remove_dir_all(&dir);
}
