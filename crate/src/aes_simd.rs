//! AES encryption of one block at a time on 16-byte vectors (FIPS 197), for CBC encryption in wasm.
//!
//! CBC encryption is serial: each block needs the ciphertext of the one before. The `aes` crate's
//! portable AES (fixsliced, constant time) computes two blocks at once, so CBC wastes half of it,
//! and in wasm it is a quarter of encrypting a 1 KB mail. Here a block is one wasm SIMD vector:
//! SubBytes is sixteen byte shuffles (`i8x16.swizzle`) over the sixteen rows of the S-box, each
//! indexed by the state XOR the row number in the high nibble (indices of 16 and up give 0, so each
//! byte picks its value from its own row only); ShiftRows and the column rotations of MixColumns
//! are fixed shuffles. Nothing depends on the data but the values: no branch, no memory address.
//!
//! Only wasm builds use it ([`encrypt_cbc`]); elsewhere the vector type is a byte array with the
//! same operations, so that the host's tests check the algorithm too, against FIPS 197's examples
//! and the `aes` crate.

// Elsewhere than in wasm only the tests use it.
#![cfg_attr(not(all(target_arch = "wasm32", target_feature = "simd128")), allow(dead_code))]

use zeroize::Zeroizing;

/// The AES S-box, computed: the inverse in GF(2^8) (0 for 0), then the affine map.
const SBOX: [u8; 256] = {
    const fn mul(mut a: u8, mut b: u8) -> u8 {
        let mut p = 0u8;
        while b != 0 {
            if b & 1 != 0 {
                p ^= a;
            }
            let carry = a & 0x80;
            a <<= 1;
            if carry != 0 {
                a ^= 0x1b;
            }
            b >>= 1;
        }
        p
    }
    let mut sbox = [0u8; 256];
    let mut x = 0usize;
    while x < 256 {
        // x^254 = x⁻¹ (and 0 for 0).
        let (mut inv, mut base, mut e) = (1u8, x as u8, 254u32);
        while e != 0 {
            if e & 1 != 0 {
                inv = mul(inv, base);
            }
            base = mul(base, base);
            e >>= 1;
        }
        let b = inv;
        sbox[x] = b ^ b.rotate_left(1) ^ b.rotate_left(2) ^ b.rotate_left(3) ^ b.rotate_left(4) ^ 0x63;
        x += 1;
    }
    sbox
};

/// Row `h` of the S-box: the values of the bytes whose high nibble is `h`.
const fn sbox_row(h: usize) -> [u8; 16] {
    let mut row = [0u8; 16];
    let mut l = 0;
    while l < 16 {
        row[l] = SBOX[16 * h + l];
        l += 1;
    }
    row
}

const ROWS: [[u8; 16]; 16] = {
    let mut rows = [[0u8; 16]; 16];
    let mut h = 0;
    while h < 16 {
        rows[h] = sbox_row(h);
        h += 1;
    }
    rows
};

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
mod vector {
    //! The wasm SIMD operations.
    use core::arch::wasm32::{
        i8x16_shr, u8x16, u8x16_extract_lane, u8x16_shl, u8x16_shuffle, u8x16_splat, u8x16_swizzle, v128, v128_and,
        v128_or, v128_xor,
    };

    pub type V = v128;

    #[inline(always)]
    pub fn load(b: &[u8; 16]) -> V {
        u8x16(b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15])
    }

    #[inline(always)]
    pub fn store(v: V) -> [u8; 16] {
        macro_rules! lanes { ($($i:literal),*) => { [$(u8x16_extract_lane::<$i>(v)),*] } }
        lanes!(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)
    }

    #[inline(always)]
    pub fn xor(a: V, b: V) -> V {
        v128_xor(a, b)
    }

    #[inline(always)]
    pub fn or(a: V, b: V) -> V {
        v128_or(a, b)
    }

    #[inline(always)]
    pub fn splat(x: u8) -> V {
        u8x16_splat(x)
    }

    /// `table[index]` per byte; 0 where the index is 16 or more.
    #[inline(always)]
    pub fn lookup(table: V, index: V) -> V {
        u8x16_swizzle(table, index)
    }

    /// Each byte times x in GF(2^8).
    #[inline(always)]
    pub fn xtime(a: V) -> V {
        v128_xor(u8x16_shl(a, 1), v128_and(i8x16_shr(a, 7), u8x16_splat(0x1b)))
    }

    #[inline(always)]
    pub fn shift_rows(a: V) -> V {
        u8x16_shuffle::<0, 5, 10, 15, 4, 9, 14, 3, 8, 13, 2, 7, 12, 1, 6, 11>(a, a)
    }

    /// Each column's bytes rotated up by one, two and three rows.
    #[inline(always)]
    pub fn rotations(a: V) -> (V, V, V) {
        (
            u8x16_shuffle::<1, 2, 3, 0, 5, 6, 7, 4, 9, 10, 11, 8, 13, 14, 15, 12>(a, a),
            u8x16_shuffle::<2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13>(a, a),
            u8x16_shuffle::<3, 0, 1, 2, 7, 4, 5, 6, 11, 8, 9, 10, 15, 12, 13, 14>(a, a),
        )
    }
}

#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
mod vector {
    //! The same operations on byte arrays, for the host's tests.
    pub type V = [u8; 16];

    pub fn load(b: &[u8; 16]) -> V {
        *b
    }

    pub fn store(v: V) -> [u8; 16] {
        v
    }

    pub fn xor(a: V, b: V) -> V {
        core::array::from_fn(|i| a[i] ^ b[i])
    }

    pub fn or(a: V, b: V) -> V {
        core::array::from_fn(|i| a[i] | b[i])
    }

    pub fn splat(x: u8) -> V {
        [x; 16]
    }

    pub fn lookup(table: V, index: V) -> V {
        index.map(|i| table.get(usize::from(i)).copied().unwrap_or(0))
    }

    pub fn xtime(a: V) -> V {
        a.map(|b| (b << 1) ^ (((b as i8) >> 7) as u8 & 0x1b))
    }

    fn shuffle(a: V, order: [usize; 16]) -> V {
        order.map(|i| a[i])
    }

    pub fn shift_rows(a: V) -> V {
        shuffle(a, [0, 5, 10, 15, 4, 9, 14, 3, 8, 13, 2, 7, 12, 1, 6, 11])
    }

    pub fn rotations(a: V) -> (V, V, V) {
        (
            shuffle(a, [1, 2, 3, 0, 5, 6, 7, 4, 9, 10, 11, 8, 13, 14, 15, 12]),
            shuffle(a, [2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13]),
            shuffle(a, [3, 0, 1, 2, 7, 4, 5, 6, 11, 8, 9, 10, 15, 12, 13, 14]),
        )
    }
}

use vector::V;

/// SubBytes: each byte replaced by its S-box value, by one shuffle per S-box row.
#[inline(always)]
fn sub_bytes(rows: &[V; 16], state: V) -> V {
    let mut out = vector::splat(0);
    for (h, row) in rows.iter().enumerate() {
        // Bytes whose high nibble is h index 0..15 in this row; all others 16 and up (giving 0).
        let index = vector::xor(state, vector::splat((h as u8) << 4));
        out = vector::or(out, vector::lookup(*row, index));
    }
    out
}

#[inline(always)]
fn mix_columns(a: V) -> V {
    // b_r = 2·a_r + 3·a_{r+1} + a_{r+2} + a_{r+3} = x·(a_r + a_{r+1}) + a_{r+1} + a_{r+2} + a_{r+3}.
    let (r1, r2, r3) = vector::rotations(a);
    vector::xor(vector::xor(vector::xtime(vector::xor(a, r1)), r1), vector::xor(r2, r3))
}

/// An expanded AES-128, AES-192 or AES-256 key.
pub(crate) struct Aes {
    /// Round keys 0..=Nr.
    round_keys: Zeroizing<Vec<[u8; 16]>>,
}

impl Aes {
    /// The key schedule of FIPS 197 section 5.2; `None` unless the key is 16, 24 or 32 bytes.
    pub(crate) fn new(key: &[u8]) -> Option<Aes> {
        let nk = match key.len() {
            16 | 24 | 32 => key.len() / 4,
            _ => return None,
        };
        let rounds = nk + 6;
        let rows = ROWS.map(|r| vector::load(&r));
        // SubWord through the vector S-box (constant time as the rounds are).
        let sub_word = |w: [u8; 4]| {
            let mut b = [0u8; 16];
            b[..4].copy_from_slice(&w);
            let s = vector::store(sub_bytes(&rows, vector::load(&b)));
            [s[0], s[1], s[2], s[3]]
        };
        let mut words: Zeroizing<Vec<[u8; 4]>> = Zeroizing::new(Vec::with_capacity(4 * (rounds + 1)));
        for chunk in key.chunks_exact(4) {
            words.push([chunk[0], chunk[1], chunk[2], chunk[3]]);
        }
        let mut rcon = 1u8;
        for i in nk..4 * (rounds + 1) {
            let mut temp = words[i - 1];
            if i % nk == 0 {
                temp = sub_word([temp[1], temp[2], temp[3], temp[0]]);
                temp[0] ^= rcon;
                rcon = (rcon << 1) ^ if rcon & 0x80 != 0 { 0x1b } else { 0 };
            } else if nk > 6 && i % nk == 4 {
                temp = sub_word(temp);
            }
            let before = words[i - nk];
            words.push(core::array::from_fn(|j| before[j] ^ temp[j]));
        }
        let round_keys =
            words.chunks_exact(4).map(|w| core::array::from_fn(|i| w[i / 4][i % 4])).collect::<Vec<[u8; 16]>>();
        Some(Aes { round_keys: Zeroizing::new(round_keys) })
    }

    /// Encrypts the blocks of `data` (a whole number of them) in CBC mode from `iv`, in place.
    pub(crate) fn encrypt_cbc(&self, iv: &[u8; 16], data: &mut [u8]) {
        let mut keys: Vec<V> = self.round_keys.iter().map(vector::load).collect();
        cbc(&keys, iv, data);
        // The expanded key's working copy, wiped as `round_keys` is (best effort: `black_box`
        // keeps the compiler from dropping the stores as dead).
        keys.iter_mut().for_each(|k| *k = vector::splat(0));
        core::hint::black_box(&mut keys);
    }
}

/// CBC encryption with the round keys `keys` (Nr + 1 of them).
fn cbc(keys: &[V], iv: &[u8; 16], data: &mut [u8]) {
    let rows = ROWS.map(|r| vector::load(&r));
    let Some((last, middle)) = keys.split_last() else { return };
    let Some((first, middle)) = middle.split_first() else { return };
    let mut chain = vector::load(iv);
    for block in data.chunks_exact_mut(16) {
        let Ok(bytes) = <&mut [u8; 16]>::try_from(block) else { return };
        let mut state = vector::xor(vector::xor(vector::load(bytes), chain), *first);
        for key in middle {
            state = vector::xor(mix_columns(sub_bytes(&rows, vector::shift_rows(state))), *key);
        }
        state = vector::xor(sub_bytes(&rows, vector::shift_rows(state)), *last);
        *bytes = vector::store(state);
        chain = state;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
    }

    #[test]
    fn the_sbox_is_aes() {
        // FIPS 197 figure 7, a few entries.
        assert_eq!((SBOX[0x00], SBOX[0x01], SBOX[0x53], SBOX[0xff]), (0x63, 0x7c, 0xed, 0x16));
        let mut seen = [false; 256];
        SBOX.iter().for_each(|&s| seen[usize::from(s)] = true);
        assert!(seen.iter().all(|&s| s), "a permutation");
    }

    #[test]
    fn fips_197_examples() {
        // Appendix C: the plaintext 00112233...ff under the keys 000102..., one block each.
        let plain = hex("00112233445566778899aabbccddeeff");
        for (key, expect) in [
            ("000102030405060708090a0b0c0d0e0f", "69c4e0d86a7b0430d8cdb78070b4c55a"),
            ("000102030405060708090a0b0c0d0e0f1011121314151617", "dda97ca4864cdfe06eaf70a0ec0d7191"),
            ("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f", "8ea2b7ca516745bfeafc49904b496089"),
        ] {
            let aes = Aes::new(&hex(key)).unwrap();
            let mut block = plain.clone();
            // CBC with a zero IV is the block cipher on the first block.
            aes.encrypt_cbc(&[0; 16], &mut block);
            assert_eq!(block, hex(expect), "{key}");
        }
        assert!(Aes::new(&[0; 20]).is_none());
    }

    #[test]
    fn cbc_agrees_with_the_aes_and_cbc_crates() {
        use cipher::{BlockEncryptMut, KeyIvInit};
        let mut bytes = crate::test_rng::bytes(0x2545_f491_4f6c_dd1d);
        for (key_len, blocks) in [(16, 1), (24, 3), (32, 70), (16, 0), (32, 2)] {
            let key = bytes(key_len);
            let iv: [u8; 16] = bytes(16).try_into().unwrap();
            let data = bytes(16 * blocks);
            let mut ours = data.clone();
            Aes::new(&key).unwrap().encrypt_cbc(&iv, &mut ours);
            let mut theirs = data.clone();
            macro_rules! reference {
                ($aes:ty) => {
                    cbc::Encryptor::<$aes>::new_from_slices(&key, &iv)
                        .unwrap()
                        .encrypt_padded_mut::<cipher::block_padding::NoPadding>(&mut theirs, data.len())
                        .unwrap()
                };
            }
            match key_len {
                16 => reference!(aes::Aes128),
                24 => reference!(aes::Aes192),
                _ => reference!(aes::Aes256),
            };
            assert_eq!(ours, theirs, "AES-{} over {blocks} blocks", key_len * 8);
        }
    }
}
