use std::env;

/// Set up the environment the rest of the program (and its children) see, from the flags.
fn apply_flags(args: &[String]) {
    if args.iter().any(|a| a == "--verbose") {
        env::set_var("RUST_LOG", "debug");
    }
    if args.iter().any(|a| a == "--color") {
        env::remove_var("NO_COLOR");
    }
}

fn main() {
    let args: Vec<String> = env::args().skip(1).collect();
    apply_flags(&args);
    println!(
        "RUST_LOG={} NO_COLOR={}",
        env::var("RUST_LOG").unwrap_or_default(),
        env::var("NO_COLOR").unwrap_or_else(|_| "<unset>".into())
    );
}
