//! The `data` import: rows of the run's data sets, picked by the strategy the guest names,
//! and what the scenario's setup returned.

use super::state::VuState;
use crate::bindings::data::{self, DataError};
use crate::data::{NoRow, Pick};

impl data::Host for VuState {
    fn row(
        &mut self,
        name: String,
        pick: data::Pick,
    ) -> wasmtime::Result<Result<String, DataError>> {
        let pick = match pick {
            data::Pick::Next => Pick::Next,
            data::Pick::Circular => Pick::Circular,
            data::Pick::Random => Pick::Random,
            data::Pick::PerUser => Pick::PerUser,
        };
        let vu_id = self.identity.vu_id;
        let row = self
            .ctx
            .data
            .row(&name, pick, vu_id, &mut self.identity.rng);
        Ok(match row {
            Ok(row) => Ok(row.to_string()),
            Err(NoRow::Unknown(message)) => Err(DataError::Unknown(message)),
            Err(NoRow::Exhausted(message)) => {
                self.data_ran_out |= pick == Pick::Next;
                Err(DataError::Exhausted(message))
            }
        })
    }

    fn len(&mut self, name: String) -> wasmtime::Result<Option<u64>> {
        Ok(self.ctx.data.len(&name))
    }

    fn setup_data(&mut self) -> wasmtime::Result<Option<Vec<u8>>> {
        let scenario = self.identity.scenario;
        Ok(self.ctx.setup_results.get(scenario).map(<[u8]>::to_vec))
    }
}
