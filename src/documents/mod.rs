//! Import of task lists and tables as the documents lay them out: reading
//! CSV and XLSX, finding columns by their Chinese headers, splitting unit
//! cells, parsing deadlines and extracting targets.

pub mod bulletin;
pub mod cells;
pub mod deadline;
pub mod events;
pub mod export;
pub mod headers;
pub mod late;
pub mod projects;
pub mod reference;
pub mod resolve;
pub mod rows;
pub mod table;
pub mod targets;
pub mod tasks;
