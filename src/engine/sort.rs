//! Stable sorting with one copy of the sort code in the binary.
//!
//! `slice::sort_by` is generic over the element and the comparison, so every call site with its
//! own element type or closure gets its own copy of the standard library's driftsort: about
//! 2.4 KB of wasm each, and the Worker had 21 of them (7 % of its code). [`sort_by`] sorts a list
//! of `u32` positions with a `dyn` comparison (one copy, whatever the caller) and then moves the
//! elements into place by following the permutation's cycles (a few dozen bytes per element
//! type). It allocates the positions (4 bytes an element) and pays an indirect call per
//! comparison, which is nothing for the short lists sorted here; the order is the same as
//! `slice::sort_by`'s, equal elements keeping their order.

use std::cmp::Ordering;

/// Sorts `v` stably by `cmp`, as `v.sort_by(cmp)` does.
pub fn sort_by<T>(v: &mut [T], mut cmp: impl FnMut(&T, &T) -> Ordering) {
    if v.len() < 2 {
        return;
    }
    let mut order = {
        let items = &*v;
        sorted_positions(items.len(), &mut |a, b| cmp(&items[a], &items[b]))
    };
    permute(v, &mut order);
}

/// Sorts `v` stably by the key `key` gives each element, as `v.sort_by_key(key)` does.
pub fn sort_by_key<T, K: Ord>(v: &mut [T], mut key: impl FnMut(&T) -> K) {
    sort_by(v, |a, b| key(a).cmp(&key(b)));
}

/// Sorts `v` stably in its natural order, as `v.sort()` does.
pub fn sort<T: Ord>(v: &mut [T]) {
    sort_by(v, T::cmp);
}

/// The positions `0..n` in the order `cmp` gives them (stable). The one instance of the
/// standard library's sort behind every call of this module.
fn sorted_positions(n: usize, cmp: &mut dyn FnMut(usize, usize) -> Ordering) -> Vec<u32> {
    // The lists sorted here are far shorter than u32::MAX.
    let mut order: Vec<u32> = (0..n).map(|i| i as u32).collect();
    order.sort_by(|&a, &b| cmp(a as usize, b as usize));
    order
}

/// Rearranges `v` so that position `i` holds what was at `order[i]`, by swaps along each cycle
/// of the permutation; `order` ends as the identity.
fn permute<T>(v: &mut [T], order: &mut [u32]) {
    for start in 0..v.len() {
        let mut at = start;
        loop {
            let from = order[at] as usize;
            order[at] = at as u32;
            if from == start || from == at {
                break;
            }
            v.swap(at, from);
            at = from;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(not(target_arch = "wasm32"))]
    proptest::proptest! {
        /// Same order as the standard library's stable sort, ties included (the second field
        /// tells equal keys apart).
        #[test]
        fn sorts_like_the_standard_librarys_stable_sort(
            keys in proptest::collection::vec(0u8..6, 0..200),
        ) {
            let items: Vec<(u8, usize)> = keys.iter().copied().zip(0..).collect();
            let mut ours = items.clone();
            sort_by_key(&mut ours, |&(k, _)| k);
            let mut std = items.clone();
            std.sort_by_key(|&(k, _)| k);
            proptest::prop_assert_eq!(&ours, &std);
            let mut desc = items.clone();
            sort_by(&mut desc, |a, b| b.0.cmp(&a.0));
            let mut std_desc = items;
            std_desc.sort_by_key(|b| std::cmp::Reverse(b.0));
            proptest::prop_assert_eq!(desc, std_desc);
        }
    }

    #[test]
    fn sorts_owned_values_without_losing_or_repeating_any() {
        let mut words: Vec<String> = ["ring", "band", "stud", "hoop", "band", "cuff"]
            .iter()
            .map(|w| w.to_string())
            .collect();
        sort(&mut words);
        assert_eq!(words, ["band", "band", "cuff", "hoop", "ring", "stud"]);
        let mut empty: Vec<String> = Vec::new();
        sort(&mut empty);
        assert!(empty.is_empty());
    }
}
