use std::env;

fn header_for(user: &str, password: &str) -> String {
    format!("Authorization: Basic {}", base64::encode(format!("{user}:{password}")))
}

fn credentials_from(header: &str) -> Option<(String, String)> {
    let encoded = header.strip_prefix("Authorization: Basic ")?;
    let decoded = String::from_utf8(base64::decode(encoded).ok()?).ok()?;
    let (user, password) = decoded.split_once(':')?;
    Some((user.to_string(), password.to_string()))
}

fn main() {
    let args: Vec<String> = env::args().skip(1).collect();
    match args.as_slice() {
        [cmd, user, password] if cmd == "encode" => println!("{}", header_for(user, password)),
        [cmd, header] if cmd == "decode" => match credentials_from(header) {
            Some((user, password)) => println!("user={user} password={password}"),
            None => {
                eprintln!("not a basic auth header");
                std::process::exit(2);
            }
        },
        _ => {
            eprintln!("usage: basic-auth encode USER PASSWORD | decode HEADER");
            std::process::exit(64);
        }
    }
}
