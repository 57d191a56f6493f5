//! Tesseract must run single-threaded: Kho reads pages in parallel, one engine per
//! thread, and OpenMP threads inside each engine only fight over the same cores (one
//! published batch ran 31× slower). libgomp reads `OMP_THREAD_LIMIT` when the library is
//! loaded, before `main` runs, so setting the variable from inside the process is too
//! late: when it is missing, the process starts itself again with it set.

use std::os::unix::process::CommandExt;

/// Make sure `OMP_THREAD_LIMIT` was set when this process started; if not, replace the
/// process with a copy of itself that has `OMP_THREAD_LIMIT=1`. Call first thing in `main`.
pub fn ensure_single_threaded_tesseract() -> anyhow::Result<()> {
    if std::env::var_os("OMP_THREAD_LIMIT").is_some() {
        return Ok(());
    }
    let exe = std::env::current_exe()?;
    let err = std::process::Command::new(exe)
        .args(std::env::args_os().skip(1))
        .env("OMP_THREAD_LIMIT", "1")
        .exec();
    Err(anyhow::anyhow!(
        "cannot restart with OMP_THREAD_LIMIT=1: {err}"
    ))
}
