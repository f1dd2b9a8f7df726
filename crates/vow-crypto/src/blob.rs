//! Uploads (images, datasets) are too large to seal in one piece: they are encrypted as a stream of
//! chunks, each sealed on its own, so a file of any size goes through in bounded memory. The format
//! is STREAM (Hoang, Reyhanitabar, Rogaway and Vizár, "Online authenticated-encryption and its
//! nonce-reuse misuse-resistance", 2015) as age uses it:
//!
//! ```text
//! "vow.blob.v1\n" || chunk_0 || … || chunk_n
//! chunk_i = AES-256-GCM(blob key, nonce = u88be(i) || last flag, 64 KiB of plaintext) || tag
//! ```
//!
//! Every blob has its own random key (so a counter nonce never repeats under one key), sealed with
//! the subject's data key and kept in the database: destroying that row makes the file unreadable
//! wherever copies of it went. The last chunk carries the flag, so a file cut short, extended, or
//! with chunks reordered or swapped between blobs fails to open.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use zeroize::Zeroizing;

use crate::envelope::{KEY_LEN, NONCE_LEN, TAG_LEN};
use crate::{random, CryptoError};

/// The first bytes of every blob file.
pub const BLOB_MAGIC: &[u8] = b"vow.blob.v1\n";
/// Plaintext bytes per chunk.
pub const BLOB_CHUNK: usize = 64 * 1024;
/// Bytes a full chunk takes in the file.
pub const BLOB_SEALED_CHUNK: usize = BLOB_CHUNK + TAG_LEN;

/// A blob's own key. Zeroized on drop; never printed.
pub struct BlobKey(Zeroizing<[u8; KEY_LEN]>);

impl std::fmt::Debug for BlobKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BlobKey(..)")
    }
}

impl BlobKey {
    pub fn generate() -> Result<BlobKey, CryptoError> {
        Ok(BlobKey(Zeroizing::new(random::array::<KEY_LEN>()?)))
    }

    /// The key as bytes, to be sealed with the subject's data key.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0[..]
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<BlobKey, CryptoError> {
        let array: [u8; KEY_LEN] = bytes
            .try_into()
            .map_err(|_| CryptoError::Malformed("blob key length"))?;
        Ok(BlobKey(Zeroizing::new(array)))
    }

    fn cipher(&self) -> Result<Aes256Gcm, CryptoError> {
        Aes256Gcm::new_from_slice(&self.0[..]).map_err(|_| CryptoError::Malformed("key length"))
    }

    pub fn encryptor(&self) -> Result<BlobEncryptor, CryptoError> {
        Ok(BlobEncryptor {
            cipher: self.cipher()?,
            counter: 0,
            finished: false,
        })
    }

    pub fn decryptor(&self) -> Result<BlobDecryptor, CryptoError> {
        Ok(BlobDecryptor {
            cipher: self.cipher()?,
            counter: 0,
            finished: false,
        })
    }
}

fn nonce(counter: u64, last: bool) -> [u8; NONCE_LEN] {
    let mut bytes = [0u8; NONCE_LEN];
    // u88 big-endian counter: the top three bytes stay zero for any count that fits in memory's time.
    bytes[3..11].copy_from_slice(&counter.to_be_bytes());
    bytes[11] = u8::from(last);
    bytes
}

/// Seals a blob chunk by chunk.
pub struct BlobEncryptor {
    cipher: Aes256Gcm,
    counter: u64,
    finished: bool,
}

impl BlobEncryptor {
    /// Seals the next chunk: exactly [`BLOB_CHUNK`] bytes, or fewer for the last (`last = true`;
    /// an empty blob is one empty last chunk).
    pub fn seal_chunk(&mut self, chunk: &[u8], last: bool) -> Result<Vec<u8>, CryptoError> {
        if self.finished {
            return Err(CryptoError::Malformed("a chunk after the last one"));
        }
        if chunk.len() > BLOB_CHUNK || (!last && chunk.len() != BLOB_CHUNK) {
            return Err(CryptoError::Malformed("chunk of the wrong size"));
        }
        let sealed = self
            .cipher
            .encrypt(
                &Nonce::from(nonce(self.counter, last)),
                Payload {
                    msg: chunk,
                    aad: BLOB_MAGIC,
                },
            )
            .map_err(|_| CryptoError::Malformed("chunk too long"))?;
        self.counter = self
            .counter
            .checked_add(1)
            .ok_or(CryptoError::Malformed("blob too long"))?;
        self.finished = last;
        Ok(sealed)
    }
}

/// Opens a blob chunk by chunk, in order.
pub struct BlobDecryptor {
    cipher: Aes256Gcm,
    counter: u64,
    finished: bool,
}

impl BlobDecryptor {
    /// Opens the next sealed chunk; `last` says whether the file ends after it.
    pub fn open_chunk(
        &mut self,
        sealed: &[u8],
        last: bool,
    ) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
        if self.finished {
            return Err(CryptoError::Decrypt);
        }
        if sealed.len() > BLOB_SEALED_CHUNK || (!last && sealed.len() != BLOB_SEALED_CHUNK) {
            return Err(CryptoError::Decrypt);
        }
        let plain = self
            .cipher
            .decrypt(
                &Nonce::from(nonce(self.counter, last)),
                Payload {
                    msg: sealed,
                    aad: BLOB_MAGIC,
                },
            )
            .map_err(|_| CryptoError::Decrypt)?;
        self.counter = self.counter.checked_add(1).ok_or(CryptoError::Decrypt)?;
        self.finished = last;
        Ok(Zeroizing::new(plain))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn seal_all(key: &BlobKey, data: &[u8]) -> Vec<Vec<u8>> {
        let mut enc = key.encryptor().unwrap();
        let mut chunks: Vec<&[u8]> = data.chunks(BLOB_CHUNK).collect();
        if chunks.is_empty() || data.len().is_multiple_of(BLOB_CHUNK) {
            chunks.push(&[]);
        }
        let n = chunks.len();
        chunks
            .iter()
            .enumerate()
            .map(|(i, c)| enc.seal_chunk(c, i + 1 == n).unwrap())
            .collect()
    }

    fn open_all(key: &BlobKey, sealed: &[Vec<u8>]) -> Result<Vec<u8>, CryptoError> {
        let mut dec = key.decryptor()?;
        let mut out = Vec::new();
        for (i, c) in sealed.iter().enumerate() {
            out.extend_from_slice(&dec.open_chunk(c, i + 1 == sealed.len())?);
        }
        Ok(out)
    }

    #[test]
    fn a_blob_round_trips_at_every_size_around_a_chunk_boundary() {
        let key = BlobKey::generate().unwrap();
        for len in [
            0,
            1,
            BLOB_CHUNK - 1,
            BLOB_CHUNK,
            BLOB_CHUNK + 1,
            3 * BLOB_CHUNK + 7,
        ] {
            let data: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
            assert_eq!(
                open_all(&key, &seal_all(&key, &data)).unwrap(),
                data,
                "{len}"
            );
        }
    }

    #[test]
    fn cut_reordered_swapped_or_foreign_chunks_fail() {
        let key = BlobKey::generate().unwrap();
        let data = vec![7u8; 3 * BLOB_CHUNK + 10];
        let sealed = seal_all(&key, &data);
        // Cut short: the new last chunk was not sealed as last.
        assert!(open_all(&key, &sealed[..2]).is_err());
        // Reordered.
        let mut swapped = sealed.clone();
        swapped.swap(0, 1);
        assert!(open_all(&key, &swapped).is_err());
        // A flipped bit.
        let mut flipped = sealed.clone();
        flipped[1][5] ^= 1;
        assert!(open_all(&key, &flipped).is_err());
        // Another blob's key.
        assert!(open_all(&BlobKey::generate().unwrap(), &sealed).is_err());
        // Extended with a chunk after the last.
        let mut longer = sealed.clone();
        longer.push(sealed[0].clone());
        assert!(open_all(&key, &longer).is_err());
    }
}
