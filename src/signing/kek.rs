//! The key-encryption key: every private key Kho keeps is sealed with it
//! (ChaCha20-Poly1305, a fresh random nonce per key) before it reaches the database.
//!
//! The KEK comes from `KHO_KEK` (32 bytes, base64) or from a key file (`KHO_KEK_FILE`,
//! by default `DATA_DIR/kek.key`). On an embedded deployment with neither, the file is
//! created on first start (mode 0600) and a warning names it: whoever can read that file
//! and the database can use the keys, so keep the two apart in production.

use std::path::{Path, PathBuf};

use base64::Engine;
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};

use super::SigningError;

const NONCE_LEN: usize = 12;

/// The loaded key-encryption key. Its bytes are never printed.
pub struct Kek {
    cipher: ChaCha20Poly1305,
    /// The key's bytes, only to derive purpose keys from ([`Kek::derive`]).
    raw: zeroize::Zeroizing<[u8; 32]>,
}

impl std::fmt::Debug for Kek {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Kek(..)")
    }
}

/// Where the KEK came from, for the start-up message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KekSource {
    Environment,
    File(PathBuf),
    Created(PathBuf),
}

impl Kek {
    /// Load the KEK from `env_value` (base64) or `file`, creating the file when
    /// `create_if_missing` and neither exists.
    pub fn load(
        env_value: Option<&str>,
        file: &Path,
        create_if_missing: bool,
    ) -> Result<(Kek, KekSource), SigningError> {
        if let Some(v) = env_value {
            return Ok((Self::from_b64(v.trim())?, KekSource::Environment));
        }
        match std::fs::read_to_string(file) {
            Ok(v) => Ok((Self::from_b64(v.trim())?, KekSource::File(file.to_owned()))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && create_if_missing => {
                let key: [u8; 32] = rand::random();
                let encoded = base64::engine::general_purpose::STANDARD.encode(key);
                if let Some(dir) = file.parent() {
                    std::fs::create_dir_all(dir)?;
                }
                write_private(file, encoded.as_bytes())?;
                Ok((Self::from_bytes(&key), KekSource::Created(file.to_owned())))
            }
            Err(e) => Err(SigningError::Kek(format!(
                "cannot read the key-encryption key file {}: {e}",
                file.display()
            ))),
        }
    }

    fn from_b64(v: &str) -> Result<Kek, SigningError> {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(v)
            .map_err(|_| SigningError::Kek("the key-encryption key is not base64".into()))?;
        if bytes.len() != 32 {
            return Err(SigningError::Kek(format!(
                "the key-encryption key must be 32 bytes, not {}",
                bytes.len()
            )));
        }
        Ok(Self::from_bytes(&bytes))
    }

    fn from_bytes(key: &[u8]) -> Kek {
        Kek {
            cipher: ChaCha20Poly1305::new(&Key::try_from(key).expect("32-byte key")),
            raw: zeroize::Zeroizing::new(key.try_into().expect("32-byte key")),
        }
    }

    /// A key for one `purpose` (HMAC-SHA256 of the purpose under the KEK): the same
    /// for every process of the deployment, useless for anything else, and never the
    /// KEK itself.
    pub fn derive(&self, purpose: &str) -> zeroize::Zeroizing<[u8; 32]> {
        use hmac::{KeyInit as _, Mac};
        let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(self.raw.as_slice())
            .expect("HMAC takes any key length");
        mac.update(purpose.as_bytes());
        zeroize::Zeroizing::new(mac.finalize().into_bytes().into())
    }

    /// Seal `secret`; the result is base64 of nonce ‖ ciphertext ‖ tag.
    pub fn seal(&self, secret: &[u8]) -> Result<String, SigningError> {
        let nonce: [u8; NONCE_LEN] = rand::random();
        let mut out = nonce.to_vec();
        out.extend(
            self.cipher
                .encrypt(&Nonce::from(nonce), secret)
                .map_err(|_| SigningError::Kek("sealing a key failed".into()))?,
        );
        Ok(base64::engine::general_purpose::STANDARD.encode(out))
    }

    /// Open what [`Kek::seal`] made; fails when the KEK is not the one it was sealed with.
    pub fn open(&self, sealed: &str) -> Result<zeroize::Zeroizing<Vec<u8>>, SigningError> {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(sealed)
            .map_err(|_| SigningError::Kek("a sealed key is not base64".into()))?;
        if bytes.len() < NONCE_LEN + 16 {
            return Err(SigningError::Kek("a sealed key is truncated".into()));
        }
        let (nonce, body) = bytes.split_at(NONCE_LEN);
        self.cipher
            .decrypt(&Nonce::try_from(nonce).expect("12-byte nonce"), body)
            .map(zeroize::Zeroizing::new)
            .map_err(|_| {
                SigningError::Kek(
                    "a private key does not open with this key-encryption key (wrong KHO_KEK or key file?)"
                        .into(),
                )
            })
    }
}

fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut f = options.open(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_key_opens_only_with_its_kek_and_the_file_is_private() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("kek.key");
        let (kek, source) = Kek::load(None, &file, true).unwrap();
        assert_eq!(source, KekSource::Created(file.clone()));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&file).unwrap().permissions().mode();
            assert_eq!(mode & 0o077, 0, "only the owner reads the KEK file");
        }
        let sealed = kek.seal(b"secret key bytes").unwrap();
        assert!(!sealed.contains("secret"));
        assert_eq!(&**kek.open(&sealed).unwrap(), b"secret key bytes");
        let (again, source) = Kek::load(None, &file, true).unwrap();
        assert_eq!(source, KekSource::File(file));
        assert!(again.open(&sealed).is_ok());
        let other = Kek::load(
            Some(&base64::engine::general_purpose::STANDARD.encode([7u8; 32])),
            Path::new("/nonexistent"),
            false,
        )
        .unwrap()
        .0;
        assert!(other.open(&sealed).is_err());
        assert!(Kek::load(Some("c2hvcnQ="), Path::new("/x"), false).is_err());
    }
}
