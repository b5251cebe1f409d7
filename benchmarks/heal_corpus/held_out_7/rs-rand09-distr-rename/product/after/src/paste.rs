use crate::random::RandomURLConfig;
use std::path::Path;

/// The stored name of an upload called `original`: random when configured, else the original name.
/// In suffix mode the random part goes between the file stem and its extension.
pub fn stored_name(original: &str, config: Option<&RandomURLConfig>) -> String {
    let Some(config) = config else {
        return original.to_string();
    };
    let Some(random) = config.generate() else {
        return original.to_string();
    };
    let path = Path::new(original);
    let extension = path.extension().and_then(|e| e.to_str());
    if config.suffix_mode.unwrap_or(false) {
        let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or(original);
        match extension {
            Some(ext) => format!("{stem}.{random}.{ext}"),
            None => format!("{stem}.{random}"),
        }
    } else {
        match extension {
            Some(ext) => format!("{random}.{ext}"),
            None => random,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::random::RandomURLType;

    #[test]
    fn test_stored_name() {
        assert_eq!("notes.txt", stored_name("notes.txt", None));

        let config = RandomURLConfig {
            length: Some(6),
            type_: RandomURLType::Alphanumeric,
            ..RandomURLConfig::default()
        };
        let name = stored_name("notes.txt", Some(&config));
        assert_eq!(10, name.len());
        assert!(name.ends_with(".txt"));

        let config = RandomURLConfig {
            suffix_mode: Some(true),
            words: Some(2),
            separator: Some(String::from("_")),
            ..RandomURLConfig::default()
        };
        let name = stored_name("photo.png", Some(&config));
        assert!(name.starts_with("photo."), "{name}");
        assert!(name.ends_with(".png"), "{name}");
        assert_eq!(2, name.split('.').nth(1).unwrap().split('_').count());
    }
}
