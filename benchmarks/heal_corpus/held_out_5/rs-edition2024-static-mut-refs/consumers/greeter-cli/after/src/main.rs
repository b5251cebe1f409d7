use std::env;
use std::process;

struct Config {
    name: String,
    shout: bool,
}

static mut CONFIG: Option<Config> = None;

fn init(args: &[String]) {
    let name = args.iter().find(|a| !a.starts_with("--")).cloned().unwrap_or_else(|| "world".to_string());
    unsafe { CONFIG = Some(Config { name, shout: false }) }
    if args.iter().any(|a| a == "--shout") {
        set_shout(true);
    }
}

fn set_shout(shout: bool) {
    unsafe {
        if let Some(config) = &mut *&raw mut CONFIG {
            config.shout = shout;
        }
    }
}

fn config() -> &'static Config {
    unsafe { (*&raw const CONFIG).as_ref().expect("init() first") }
}

fn main() {
    let args: Vec<String> = env::args().skip(1).collect();
    init(&args);
    let greeting = format!("Hello, {}!", config().name);
    let greeting = if config().shout { greeting.to_uppercase() } else { greeting };
    println!("{greeting}");
    if greeting.is_empty() {
        process::exit(1);
    }
}
