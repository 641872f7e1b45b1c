//! `connector-expand DEF.yaml`: prints the Rust module `connector!("DEF.yaml")` expands to,
//! formatted, through the same code as the macro (connector-defs to validate, connector-codegen
//! to generate). For reading what a definition becomes, reviewing a change to one, or vendoring
//! the module instead of calling the macro.
//!
//! `cargo run -p connector-codegen --features cli --bin connector-expand -- DEF.yaml`

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use connector_codegen::{Options, Source, generate};

#[derive(Parser)]
#[command(about = "Print the Rust module connector!(\"DEF.yaml\") expands to")]
struct Args {
    /// The definition.
    definition: PathBuf,
    /// Leave out the poem-openapi `Api` (as connector-runtime without its `openapi` feature).
    #[arg(long)]
    no_openapi: bool,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let def = match connector_defs::load(&args.definition) {
        Ok(def) => def,
        Err(error) => {
            eprintln!("{error}");
            return ExitCode::from(2);
        }
    };
    let written = args.definition.display().to_string();
    let absolute = std::fs::canonicalize(&args.definition)
        .unwrap_or_else(|_| args.definition.clone())
        .display()
        .to_string();
    let source = Source {
        written: &written,
        absolute: &absolute,
    };
    let tokens = generate(
        &def,
        &source,
        Options {
            openapi: !args.no_openapi,
        },
    );
    match syn::parse2::<syn::File>(tokens) {
        Ok(file) => {
            print!("{}", prettyplease::unparse(&file));
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!(
                "the expansion of {written} is not valid Rust (a connector-codegen bug): {error}"
            );
            ExitCode::FAILURE
        }
    }
}
