//! Signals in the commands that mint a token. From the mint on, SIGINT, SIGTERM and SIGHUP no
//! longer kill the process: they are noted, the step in flight is finished (a create whose
//! answer was abandoned could leave a token nobody can name), and the hand-off core undoes
//! what must be undone before exiting with 128 + the signal's number. A child process runs in
//! its own process group, so a terminal's signal reaches it once, through this process, and
//! signals sent to this process alone reach it too.

use std::future::Future;
use std::io::IsTerminal as _;
use std::os::fd::AsFd as _;
use std::process::ExitStatus;

use nix::sys::signal::{SigSet, SigmaskHow, Signal as Sig, killpg};
use nix::unistd::{Pid, getpgrp, tcgetpgrp, tcsetpgrp};
use tokio::signal::unix::{Signal, SignalKind, signal};

use crate::Failure;
use crate::output;

/// The signals that end a minting command after its clean-up.
pub(crate) struct Signals {
    interrupt: Signal,
    terminate: Signal,
    hangup: Signal,
    received: Option<i32>,
}

impl std::fmt::Debug for Signals {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signals")
            .field("received", &self.received)
            .finish_non_exhaustive()
    }
}

impl Signals {
    /// Catches SIGINT, SIGTERM and SIGHUP from now until the process ends.
    pub(crate) fn install() -> Result<Self, Failure> {
        let catch =
            |kind| signal(kind).map_err(|e| Failure::local(format!("cannot handle signals: {e}")));
        Ok(Self {
            interrupt: catch(SignalKind::interrupt())?,
            terminate: catch(SignalKind::terminate())?,
            hangup: catch(SignalKind::hangup())?,
            received: None,
        })
    }

    /// The first signal received, by number.
    pub(crate) fn received(&self) -> Option<i32> {
        self.received
    }

    async fn next(&mut self) -> i32 {
        tokio::select! {
            _ = self.interrupt.recv() => Sig::SIGINT as i32,
            _ = self.terminate.recv() => Sig::SIGTERM as i32,
            _ = self.hangup.recv() => Sig::SIGHUP as i32,
        }
    }

    fn note(&mut self, n: i32, doing: &str) {
        if self.received.is_none() {
            self.received = Some(n);
            output::err_line(format!("{}: {doing}", name(n)));
        }
    }

    /// Waits for the next signal and notes it (the first one is said on stderr with `doing`).
    pub(crate) async fn wait(&mut self, doing: &str) -> i32 {
        let n = self.next().await;
        self.note(n, doing);
        n
    }

    /// Runs `work` to its end, noting any signal meanwhile: a request in flight is finished,
    /// so that what it did is known and can be undone.
    pub(crate) async fn shield<F: Future>(&mut self, work: F) -> F::Output {
        let mut work = std::pin::pin!(work);
        loop {
            tokio::select! {
                biased;
                out = &mut work => return out,
                n = self.next() => self.note(n, "finishing the request in flight, then cleaning up"),
            }
        }
    }

    /// Waits for a child started in its own process group (see [`spawn_in_group`]), passing
    /// every signal this process receives on to that group.
    pub(crate) async fn wait_child(
        &mut self,
        child: &mut tokio::process::Child,
    ) -> std::io::Result<ExitStatus> {
        let group = child
            .id()
            .and_then(|id| i32::try_from(id).ok())
            .map(Pid::from_raw);
        loop {
            tokio::select! {
                biased;
                status = child.wait() => return status,
                n = self.next() => {
                    self.note(n, "passed on to the command; cleaning up when it ends");
                    if let (Some(group), Ok(sig)) = (group, Sig::try_from(n)) {
                        let _ = killpg(group, sig);
                        // A stopped child (Ctrl-Z, or a terminal read from the background)
                        // would keep the signal pending forever.
                        let _ = killpg(group, Sig::SIGCONT);
                    }
                }
            }
        }
    }
}

/// The signal's name, for messages.
pub(crate) fn name(n: i32) -> &'static str {
    Sig::try_from(n).map_or("signal", Sig::as_str)
}

/// Starts `command` in a process group of its own, so that only this process decides which
/// signals reach it (each exactly once).
pub(crate) fn spawn_in_group(
    command: &mut tokio::process::Command,
) -> std::io::Result<tokio::process::Child> {
    command.process_group(0).kill_on_drop(false).spawn()
}

/// The terminal handed to a child's process group while it runs (so it can read from it and
/// Ctrl-C reaches it), and taken back when this is dropped.
#[derive(Debug)]
pub(crate) struct Foreground {
    tty: std::fs::File,
    ours: Pid,
}

impl Foreground {
    /// Gives the controlling terminal to `child`'s group when this process holds it in the
    /// foreground; `None` otherwise (no terminal, a background job, CI).
    pub(crate) fn give(child: &tokio::process::Child) -> Option<Self> {
        let group = Pid::from_raw(i32::try_from(child.id()?).ok()?);
        let tty = std::fs::File::open("/dev/tty").ok()?;
        if !tty.is_terminal() {
            return None;
        }
        let ours = getpgrp();
        if tcgetpgrp(tty.as_fd()).ok()? != ours {
            return None;
        }
        tcsetpgrp(tty.as_fd(), group).ok()?;
        // It may have touched the terminal before it was its own, and been stopped for it.
        let _ = killpg(group, Sig::SIGCONT);
        Some(Self { tty, ours })
    }
}

impl Drop for Foreground {
    fn drop(&mut self) {
        // Taking the terminal back from the background would stop this process with SIGTTOU
        // unless the signal is blocked for the call.
        let mut block = SigSet::empty();
        block.add(Sig::SIGTTOU);
        let previous = block.thread_swap_mask(SigmaskHow::SIG_BLOCK);
        let _ = tcsetpgrp(self.tty.as_fd(), self.ours);
        if let Ok(previous) = previous {
            let _ = previous.thread_set_mask();
        }
    }
}
