//! The local data folder holds citizens' messages, phone numbers, photos and keys: folders
//! are created 0700 and files 0600, so no other user of the machine can read them. On other
//! platforms these are plain `create_dir_all` / `create` calls.

use std::fs::{File, OpenOptions};
use std::io;
use std::path::Path;

/// `create_dir_all`, each new folder 0700; an existing `path` is tightened to 0700 too (an
/// older version created it 0755).
pub fn create_private_dir_all(path: &Path) -> io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(path)?;
    restrict(path, 0o700)
}

/// Sets `mode` on an existing path (no-op off Unix).
pub fn restrict(path: &Path, mode: u32) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let current = std::fs::metadata(path)?.permissions().mode() & 0o777;
        if current != mode {
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))?;
        }
    }
    #[cfg(not(unix))]
    let _ = (path, mode);
    Ok(())
}

/// Makes sure `path` exists as a 0600 file without touching its contents (an existing one is
/// tightened to 0600).
pub fn ensure_private_file(path: &Path) -> io::Result<()> {
    let mut options = OpenOptions::new();
    options.write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    drop(options.open(path)?);
    restrict(path, 0o600)
}

/// `File::create`, new files 0600.
pub fn create_private_file(path: &Path) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)
}
