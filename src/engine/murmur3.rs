//! MurmurHash3, x86 32-bit variant (Austin Appleby's public-domain reference `MurmurHash3_x86_32`).
//!
//! Rollout buckets must be identical in Rust, in wasm and in the widget's JavaScript, so the hash is
//! a fixed, documented algorithm rather than `std`'s randomly keyed `DefaultHasher`. [`Murmur3`]
//! hashes a message given in several pieces (`salt`, `:`, `user_id`) without joining them into a
//! `String` first.

const C1: u32 = 0xcc9e_2d51;
const C2: u32 = 0x1b87_3593;

/// MurmurHash3 x86 32-bit of `bytes` with `seed`.
pub fn murmur3_32(bytes: &[u8], seed: u32) -> u32 {
    let mut hasher = Murmur3::new(seed);
    hasher.write(bytes);
    hasher.finish()
}

/// Streaming MurmurHash3 x86 32-bit: `write` any number of pieces, then `finish`.
///
/// Feeding `b"ab"` then `b"cd"` gives the same hash as feeding `b"abcd"` at once.
#[derive(Debug, Clone, Copy)]
pub struct Murmur3 {
    h: u32,
    /// Bytes of an incomplete 4-byte block, little-endian in the low `tail_len * 8` bits.
    tail: u32,
    tail_len: u32,
    len: u32,
}

#[inline(always)]
fn mix_k(k: u32) -> u32 {
    k.wrapping_mul(C1).rotate_left(15).wrapping_mul(C2)
}

#[inline(always)]
fn mix_h(h: u32, k: u32) -> u32 {
    (h ^ mix_k(k))
        .rotate_left(13)
        .wrapping_mul(5)
        .wrapping_add(0xe654_6b64)
}

impl Murmur3 {
    /// A hasher with `seed`, before any input.
    pub fn new(seed: u32) -> Self {
        Murmur3 {
            h: seed,
            tail: 0,
            tail_len: 0,
            len: 0,
        }
    }

    /// Appends `bytes` to the message.
    #[inline]
    pub fn write(&mut self, mut bytes: &[u8]) {
        // The reference algorithm takes the length modulo 2^32.
        self.len = self.len.wrapping_add(bytes.len() as u32);
        // Complete a pending partial block first.
        while self.tail_len > 0 {
            let Some((&b, rest)) = bytes.split_first() else {
                return;
            };
            self.tail |= u32::from(b) << (8 * self.tail_len);
            self.tail_len += 1;
            bytes = rest;
            if self.tail_len == 4 {
                self.h = mix_h(self.h, self.tail);
                self.tail = 0;
                self.tail_len = 0;
            }
        }
        let mut blocks = bytes.chunks_exact(4);
        for block in &mut blocks {
            let k = u32::from_le_bytes([block[0], block[1], block[2], block[3]]);
            self.h = mix_h(self.h, k);
        }
        for (i, &b) in blocks.remainder().iter().enumerate() {
            self.tail |= u32::from(b) << (8 * i);
        }
        self.tail_len = blocks.remainder().len() as u32;
    }

    /// The hash of everything written so far.
    #[inline]
    pub fn finish(&self) -> u32 {
        let mut h = self.h;
        if self.tail_len > 0 {
            h ^= mix_k(self.tail);
        }
        h ^= self.len;
        h ^= h >> 16;
        h = h.wrapping_mul(0x85eb_ca6b);
        h ^= h >> 13;
        h = h.wrapping_mul(0xc2b2_ae35);
        h ^= h >> 16;
        h
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Public test vectors of MurmurHash3_x86_32 (SMHasher reference; widely reproduced).
    const VECTORS: &[(&[u8], u32, u32)] = &[
        (b"", 0, 0),
        (b"", 1, 0x514e_28b7),
        (b"", 0xffff_ffff, 0x81f1_6f39),
        (b"\0\0\0\0", 0, 0x2362_f9de),
        (b"aaaa", 0x9747_b28c, 0x5a97_808a),
        (b"aaa", 0x9747_b28c, 0x283e_0130),
        (b"aa", 0x9747_b28c, 0x5d21_1726),
        (b"a", 0x9747_b28c, 0x7fa0_9ea6),
        (b"abcd", 0x9747_b28c, 0xf047_8627),
        (b"abc", 0x9747_b28c, 0xc84a_62dd),
        (b"ab", 0x9747_b28c, 0x7487_5592),
        (b"Hello, world!", 0x9747_b28c, 0x2488_4cba),
        (
            b"The quick brown fox jumps over the lazy dog",
            0x9747_b28c,
            0x2fa8_26cd,
        ),
        (b"hello", 0, 0x248b_fa47),
        (b"Hello, world!", 1234, 0xfaf6_cdb3),
    ];

    #[test]
    fn matches_public_vectors() {
        for &(input, seed, expected) in VECTORS {
            assert_eq!(
                murmur3_32(input, seed),
                expected,
                "murmur3_32({:?}, {seed:#x})",
                String::from_utf8_lossy(input)
            );
        }
    }

    #[test]
    fn streaming_in_any_split_equals_one_shot() {
        let message = b"aurora-concierge:user-0123456789-\xc3\xa9";
        let whole = murmur3_32(message, 42);
        for a in 0..=message.len() {
            for b in a..=message.len() {
                let mut h = Murmur3::new(42);
                h.write(&message[..a]);
                h.write(&message[a..b]);
                h.write(&message[b..]);
                assert_eq!(h.finish(), whole, "split at {a}/{b}");
            }
        }
    }
}
