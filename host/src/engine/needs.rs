//! What one user's instance of a component takes from the pool: its core instances, linear
//! memories and tables, counted from the component's own sections (its libraries included),
//! so the pool is sized for what is loaded instead of by fixed constants.

use wasmparser::{Instance, Parser, Payload};

/// The pool resources one user's instance takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Needs {
    /// Core module instantiations.
    pub core_instances: u32,
    /// Linear memories defined by its modules.
    pub memories: u32,
    /// Tables defined by its modules.
    pub tables: u32,
}

impl Needs {
    /// A plain Rust scenario, for an engine made before any component is read.
    pub const SINGLE_COMPONENT: Self = Self {
        core_instances: 8,
        memories: 2,
        tables: 4,
    };

    /// Counts the core instances, memories and tables a component defines, nested modules
    /// and components included; at least one of each. The engine may add a few core
    /// instances of its own when it translates a component (adapters, trampolines), so those
    /// are given a margin of half again plus four.
    pub fn of(bytes: &[u8]) -> anyhow::Result<Self> {
        let mut needs = Self {
            core_instances: 0,
            memories: 0,
            tables: 0,
        };
        for payload in Parser::new(0).parse_all(bytes) {
            match payload? {
                Payload::InstanceSection(section) => {
                    for instance in section {
                        if let Instance::Instantiate { .. } = instance? {
                            needs.core_instances += 1;
                        }
                    }
                }
                Payload::MemorySection(section) => needs.memories += section.count(),
                Payload::TableSection(section) => needs.tables += section.count(),
                _ => {}
            }
        }
        let counted = needs.core_instances.max(1);
        Ok(Self {
            core_instances: counted + counted / 2 + 4,
            memories: needs.memories.max(1),
            tables: needs.tables.max(1),
        })
    }

    /// Enough for both.
    pub fn max(self, other: Self) -> Self {
        Self {
            core_instances: self.core_instances.max(other.core_instances),
            memories: self.memories.max(other.memories),
            tables: self.tables.max(other.tables),
        }
    }
}
