//! "Did you mean …?" for a name that is not among the known ones.

/// The known name closest to `unknown`, when one is close enough to be a likely typo
/// (`maxResult` → `maxResults`, `conection_id` → `connection_id`). Case is ignored.
pub fn closest<'a>(unknown: &str, known: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    // Below this similarity (0 to 1) two names are different words, not a typo.
    const LIKELY_TYPO: f64 = 0.7;
    let unknown = unknown.to_lowercase();
    known
        .into_iter()
        .map(|name| {
            let score = strsim::normalized_damerau_levenshtein(&unknown, &name.to_lowercase());
            (name, score)
        })
        .filter(|(_, score)| *score >= LIKELY_TYPO)
        .max_by(|(_, a), (_, b)| a.total_cmp(b))
        .map(|(name, _)| name)
}

#[cfg(test)]
mod tests {
    use super::closest;

    #[test]
    fn typos_find_their_name_and_strangers_find_none() {
        let known = ["connector", "connection_id", "credentials", "scopes"];
        assert_eq!(closest("conection_id", known), Some("connection_id"));
        assert_eq!(closest("Scopes", known), Some("scopes"));
        assert_eq!(closest("credential", known), Some("credentials"));
        assert_eq!(
            closest("maxResult", ["maxResults", "pageToken"]),
            Some("maxResults")
        );
        assert_eq!(closest("colour", known), None);
        assert_eq!(closest("x", known), None);
    }
}
