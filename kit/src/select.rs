//! Turning `mastery run` arguments into topics: exact ids, prefixes, and a
//! "did you mean" for anything that matches nothing.

use crate::topic::Topic;

/// An argument that named no topic.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown topic `{pattern}`{}", hint(.suggestion))]
pub struct UnknownTopic {
    /// What the user typed.
    pub pattern: String,
    /// The closest id, if one is reasonably close.
    pub suggestion: Option<&'static str>,
}

fn hint(suggestion: &Option<&'static str>) -> String {
    match suggestion {
        Some(id) => format!(": did you mean `{id}`? (`mastery list` shows every topic)"),
        None => ": `mastery list` shows every topic".to_owned(),
    }
}

/// Resolves each pattern to the topics whose id equals it or starts with it,
/// keeping roadmap order and dropping repeats.
///
/// # Errors
/// The first pattern that matches no topic, with the closest id as a hint.
pub fn resolve(
    patterns: &[String],
    topics: &[&'static Topic],
) -> Result<Vec<&'static Topic>, UnknownTopic> {
    let mut chosen = vec![false; topics.len()];
    for pattern in patterns {
        let pattern = pattern.trim_end_matches('/');
        let mut any = false;
        for (i, topic) in topics.iter().enumerate() {
            if topic.id.starts_with(pattern) && !pattern.is_empty() {
                chosen[i] = true;
                any = true;
            }
        }
        if !any {
            return Err(UnknownTopic {
                pattern: pattern.to_owned(),
                suggestion: closest(pattern, topics.iter().map(|t| t.id)),
            });
        }
    }
    Ok(topics
        .iter()
        .zip(chosen)
        .filter_map(|(t, keep)| keep.then_some(*t))
        .collect())
}

/// The candidate closest to `wanted`, if it is close enough to be a typo;
/// a bare name (`lru-cache`) matches the part after the area too.
pub fn closest<'a>(wanted: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .map(|id| {
            let name = id.rsplit('/').next().unwrap_or(id);
            let score = strsim::jaro_winkler(wanted, id).max(strsim::jaro_winkler(wanted, name));
            (score, id)
        })
        .filter(|(score, _)| *score >= 0.75)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, id)| id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::narrator::Narrator;
    use crate::topic::Area;

    fn noop(_: &mut Narrator) -> anyhow::Result<()> {
        Ok(())
    }

    const fn topic(id: &'static str, area: Area) -> Topic {
        Topic {
            id,
            area,
            rank: 0,
            title: "",
            python: "",
            rust: "",
            path: "",
            source: "",
            run: noop,
        }
    }

    static LRU: Topic = topic("interview/lru-cache", Area::Interview);
    static RETRY: Topic = topic("interview/retry-backoff", Area::Interview);
    static CLI: Topic = topic("tooling/cli-tools", Area::Tooling);

    fn all() -> Vec<&'static Topic> {
        vec![&CLI, &LRU, &RETRY]
    }

    fn ids(topics: &[&Topic]) -> Vec<&'static str> {
        topics.iter().map(|t| t.id).collect()
    }

    #[test]
    fn exact_prefix_and_order() {
        let got = resolve(
            &["interview/retry-backoff".into(), "tooling".into()],
            &all(),
        )
        .expect("known");
        assert_eq!(ids(&got), ["tooling/cli-tools", "interview/retry-backoff"]);
        let got =
            resolve(&["interview/".into(), "interview/lru-cache".into()], &all()).expect("known");
        assert_eq!(
            ids(&got),
            ["interview/lru-cache", "interview/retry-backoff"]
        );
    }

    #[test]
    fn unknown_ids_get_a_suggestion() {
        let err = resolve(&["interview/lru-cahce".into()], &all()).expect_err("unknown");
        assert_eq!(err.suggestion, Some("interview/lru-cache"));
        assert!(
            err.to_string()
                .contains("did you mean `interview/lru-cache`")
        );
        let err = resolve(&["lru-cache".into()], &all()).expect_err("bare name is not a prefix");
        assert_eq!(err.suggestion, Some("interview/lru-cache"));
        let err = resolve(&["no/such".into()], &all()).expect_err("unknown");
        assert_eq!(err.suggestion, None);
        assert!(resolve(&["".into()], &all()).is_err());
    }
}
