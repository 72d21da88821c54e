//! The typed contract between Rust and the window: every type that crosses IPC,
//! generated for TypeScript by ts-rs from the Rust types themselves into one file,
//! `ui/bindings.d.ts`, with a `Commands` map (each command's arguments and result, from
//! the table in `commands/mod.rs`) and the `AppEvent` names. The UI's JSDoc imports
//! those types and `tsc --noEmit --checkJs` (make check) checks the pages against them,
//! so a value the UI expects but Rust never sends fails the build. `tests/contract.rs`
//! fails when the committed file is stale (`UPDATE_BINDINGS=1` rewrites it).

use std::collections::BTreeMap;

use ts_rs::{Config, TypeVisitor, TS};

use crate::events::AppEvent;

/// Where the declarations live, relative to the repository root.
pub const BINDINGS_PATH: &str = "ui/bindings.d.ts";

/// One command: its name, its arguments (name, TypeScript type) and its result type.
#[derive(Debug, Clone)]
pub struct Signature {
    pub name: &'static str,
    pub args: Vec<(&'static str, String)>,
    pub result: String,
}

/// The declarations of the types met so far, by name.
pub struct Declarations {
    cfg: Config,
    decls: BTreeMap<String, String>,
}

impl Default for Declarations {
    fn default() -> Self {
        Self {
            // serde_json sends 64-bit integers as JSON numbers.
            cfg: Config::new().with_large_int("number"),
            decls: BTreeMap::new(),
        }
    }
}

impl Declarations {
    /// The TypeScript name of `T`, declaring it and every type it uses.
    pub fn name_of<T: TS + 'static + ?Sized>(&mut self) -> String {
        self.visit::<T>();
        T::name(&self.cfg)
    }
}

impl TypeVisitor for Declarations {
    fn visit<T: TS + 'static + ?Sized>(&mut self) {
        // Wrappers (`Vec`, `Option`) have no declaration of their own: look inside.
        if T::output_path().is_some() {
            let name = T::ident(&self.cfg);
            if self.decls.contains_key(&name) {
                return;
            }
            let decl = T::decl(&self.cfg);
            self.decls.insert(name, decl);
        }
        T::visit_dependencies(self);
        T::visit_generics(self);
    }
}

/// The whole `ui/bindings.d.ts`.
pub fn typescript() -> String {
    let mut types = Declarations::default();
    let commands = super::signatures(&mut types);
    let event = types.name_of::<AppEvent>();
    let mut out = String::from(
        "// Generated from the Rust types by ts-rs (src-tauri/src/commands/contract.rs).\n\
         // Do not edit: `UPDATE_BINDINGS=1 cargo test --test contract` rewrites it.\n\n",
    );
    for decl in types.decls.values() {
        out.push_str("export ");
        out.push_str(decl);
        out.push('\n');
    }
    out.push_str("\n/** Every command the window may call: its arguments and its result. */\n");
    out.push_str("export interface Commands {\n");
    for c in &commands {
        let args: Vec<String> = c.args.iter().map(|(n, t)| format!("{n}: {t}")).collect();
        out.push_str(&format!(
            "  {}: {{ args: {{ {} }}; result: {} }};\n",
            c.name,
            args.join("; "),
            c.result
        ));
    }
    out.push_str("}\n\n/** The events the window listens to. */\n");
    out.push_str(&format!("export type EventName = {event};\n"));
    out
}
