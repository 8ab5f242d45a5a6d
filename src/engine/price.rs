//! Price expressions in US dollars, in the expression space of Duckling's AmountOfMoney.
//! API skeleton: the implementation lands with the price parser work.

use super::model::{PriceRange, PriceVocabulary};

/// A price found in a message, with its byte span in the original text.
#[derive(Debug, Clone, PartialEq)]
pub struct PriceMatch {
    pub range: PriceRange,
    pub start: usize,
    pub end: usize,
}

/// The price grammar compiled from a vocabulary, built once and reused.
#[derive(Debug, Clone)]
pub struct PriceParser {
    vocabulary: PriceVocabulary,
}

impl PriceParser {
    pub fn new(vocabulary: &PriceVocabulary) -> Self {
        PriceParser {
            vocabulary: vocabulary.clone(),
        }
    }

    pub fn vocabulary(&self) -> &PriceVocabulary {
        &self.vocabulary
    }

    /// The first price expression in `text`, if any.
    pub fn extract(&self, _text: &str) -> Option<PriceMatch> {
        None
    }
}
