//! Where a new secret goes besides stdout, each with its proof of delivery: a file
//! (`--write-to`: synced and renamed into place) or a command's stdin (`--exec`: it read every
//! byte and exited 0).

use std::io::{Read as _, Write as _};
use std::os::unix::fs::{MetadataExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};

use crate::Failure;
use crate::signals::{self, Signals};

/// What an existing file keeps when its content is replaced.
#[derive(Debug, Clone, Copy)]
struct Keep {
    uid: u32,
    gid: u32,
    mode: u32,
}

/// A `--write-to` file, checked before anything is minted.
#[derive(Debug)]
pub(crate) struct FileTarget {
    /// As given.
    given: PathBuf,
    /// The file written: `given`, or the file a symlink at `given` names.
    target: PathBuf,
    dir: PathBuf,
    keep: Option<Keep>,
    /// How messages name it: `--write-to`, or `deliver.file` (`apply`).
    label: &'static str,
}

impl FileTarget {
    /// Checks that FILE can be replaced as promised: a symlink is followed to the regular file
    /// it names (a dangling one is refused), anything else that is not a regular file is
    /// refused, and a temporary file is made in the folder, given the existing file's owner,
    /// group and mode, and removed, so that a folder or an owner this user cannot write is
    /// said before a token exists.
    pub(crate) fn prepare(given: &Path) -> Result<Self, Failure> {
        Self::prepare_as(given, "--write-to")
    }

    /// [`prepare`](Self::prepare), with messages naming the file as `label` does (`apply`
    /// says `deliver.file`).
    pub(crate) fn prepare_as(given: &Path, label: &'static str) -> Result<Self, Failure> {
        let shown = given.display();
        let target = match std::fs::symlink_metadata(given) {
            Ok(meta) if meta.file_type().is_symlink() => {
                std::fs::canonicalize(given).map_err(|e| {
                    Failure::usage(format!(
                        "{label} {shown} is a symlink to a file that cannot be reached ({e}); \
                         point it at an existing file, or give the file's own path"
                    ))
                })?
            }
            Ok(_) => given.to_path_buf(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => given.to_path_buf(),
            Err(e) => return Err(Failure::usage(format!("{label} {shown}: {e}"))),
        };
        let keep = match std::fs::metadata(&target) {
            Ok(meta) if meta.is_file() => Some(Keep {
                uid: meta.uid(),
                gid: meta.gid(),
                mode: meta.permissions().mode() & 0o7777,
            }),
            Ok(_) => {
                return Err(Failure::usage(format!(
                    "{label} {shown}: {} is not a regular file",
                    target.display()
                )));
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(Failure::usage(format!("{label} {shown}: {e}"))),
        };
        let dir = target
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
            .to_path_buf();
        if target.file_name().is_none() {
            return Err(Failure::usage(format!("{label} {shown} names no file")));
        }
        let file = Self {
            given: given.to_path_buf(),
            target,
            dir,
            keep,
            label,
        };
        let probe = file.temporary().map_err(Failure::usage)?;
        drop(probe);
        Ok(file)
    }

    /// Where the secret went, for messages and `handed_to`.
    pub(crate) fn describe(&self) -> String {
        if self.given == self.target {
            format!("file {}", self.given.display())
        } else {
            format!(
                "file {} (the symlink's target {})",
                self.given.display(),
                self.target.display()
            )
        }
    }

    /// A new file in the target's folder with the existing file's owner, group and mode (0600
    /// for a new file: tempfile's default).
    fn temporary(&self) -> Result<tempfile::NamedTempFile, String> {
        let name = self
            .target
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let temp = tempfile::Builder::new()
            .prefix(&format!(".{name}."))
            .suffix(".tmp")
            .tempfile_in(&self.dir)
            .map_err(|e| {
                format!(
                    "{} {}: cannot create a file in its folder {} ({e}); the secret is \
                     replaced atomically (a new file renamed over the old one), which needs a \
                     folder this user can write to",
                    self.label,
                    self.given.display(),
                    self.dir.display()
                )
            })?;
        if let Some(keep) = self.keep {
            keep_owner_and_mode(temp.as_file(), keep).map_err(|e| {
                format!(
                    "{} {}: cannot give the new file the existing file's owner \
                     {}:{} and mode {:o} ({e}); run as its owner or as root, or remove it first",
                    self.label,
                    self.given.display(),
                    keep.uid,
                    keep.gid,
                    keep.mode
                )
            })?;
        }
        Ok(temp)
    }

    /// Writes the secret: a temporary file in the same folder, written, synced, renamed over
    /// the target, then the folder synced. Readers see the old file or the whole new one.
    pub(crate) fn write(&self, secret: &str) -> Result<(), String> {
        let mut temp = self.temporary()?;
        let what = |e: std::io::Error| format!("cannot write {}: {e}", self.target.display());
        temp.write_all(secret.as_bytes()).map_err(what)?;
        if let Some(keep) = self.keep {
            // Again after writing: a mode such as 0400 is set once the content is in.
            keep_owner_and_mode(temp.as_file(), keep).map_err(what)?;
        }
        temp.as_file().sync_all().map_err(what)?;
        temp.persist(&self.target).map_err(|e| what(e.error))?;
        // The new secret is in place from here on: a folder that cannot be synced is said, but
        // does not undo a delivery (the file already holds the new secret, not the old one).
        if let Err(e) = std::fs::File::open(&self.dir).and_then(|d| d.sync_all()) {
            crate::output::err_line(format!(
                "warning: {} was replaced but its folder could not be synced ({e}); a crash \
                 now could bring back the old file",
                self.target.display()
            ));
        }
        Ok(())
    }
}

fn keep_owner_and_mode(file: &std::fs::File, keep: Keep) -> std::io::Result<()> {
    let meta = file.metadata()?;
    if meta.uid() != keep.uid || meta.gid() != keep.gid {
        std::os::unix::fs::fchown(file, Some(keep.uid), Some(keep.gid))?;
    }
    file.set_permissions(std::fs::Permissions::from_mode(keep.mode))
}

/// Hands the secret to `sh -c command` on its stdin (never its arguments or environment).
/// Delivered when it read every byte of the secret and exited 0. Signals received meanwhile
/// are passed on to it.
pub(crate) async fn command(
    signals: &mut Signals,
    command: &str,
    secret: &str,
) -> Result<(), String> {
    let (reader, mut writer) =
        std::io::pipe().map_err(|e| format!("cannot make a pipe for the command: {e}"))?;
    // A second read end, kept here: once the command is done, whatever it left unread is still
    // in the pipe, and this one can see it.
    let mut unread = reader
        .try_clone()
        .map_err(|e| format!("cannot make a pipe for the command: {e}"))?;
    let mut cmd = tokio::process::Command::new("sh");
    // Its stdout is discarded: a command that echoes its input (`tee`, `cat`) would print the
    // secret into a CI log; its stderr is shown. It gets neither the API token this process
    // runs with nor the one-time code.
    cmd.arg("-c")
        .arg(command)
        .stdin(Stdio::from(reader))
        .stdout(Stdio::null())
        .env_remove("FASTLY_API_TOKEN")
        .env_remove("FASTLY_OTP")
        .env_remove(crate::unattended::SECRET_VARIABLES[0])
        .env_remove(crate::unattended::SECRET_VARIABLES[1]);
    let mut child =
        signals::spawn_in_group(&mut cmd).map_err(|e| format!("cannot run the command: {e}"))?;
    drop(cmd);
    // A command that prompts on the terminal (`/dev/tty`) must own it, or it is stopped.
    let foreground = signals::Foreground::give(&child);
    // The secret is far smaller than a pipe's buffer: this does not wait for the command.
    let written = writer.write_all(secret.as_bytes());
    drop(writer);
    let status = signals.wait_child(&mut child).await;
    drop(foreground);
    let status = status.map_err(|e| format!("waiting for the command: {e}"))?;
    written.map_err(|e| format!("cannot write to the command's stdin: {e}"))?;
    if !status.success() {
        return Err(format!("the command {}", exited(status)));
    }
    let mut rest = [0u8; 1];
    match unread.read(&mut rest) {
        Ok(0) => Ok(()),
        Ok(_) => {
            Err("the command exited 0 without reading the whole secret from its stdin".to_string())
        }
        Err(e) => Err(format!("cannot check what the command read: {e}")),
    }
}

/// A child's status as a shell reports it: its code, or 128 + the signal that ended it.
pub(crate) fn exit_code(status: ExitStatus) -> u8 {
    use std::os::unix::process::ExitStatusExt as _;
    match (status.code(), status.signal()) {
        (Some(code), _) => u8::try_from(code).unwrap_or(1),
        (None, Some(sig)) => u8::try_from(128 + sig).unwrap_or(1),
        _ => 1,
    }
}

/// "exited with status N" or "was killed by SIGNAL".
pub(crate) fn exited(status: ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt as _;
    match (status.code(), status.signal()) {
        (Some(code), _) => format!("exited with status {code}"),
        (None, Some(n)) => format!("was killed by {}", signals::name(n)),
        _ => format!("ended with {status}"),
    }
}
