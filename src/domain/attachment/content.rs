//! What a file is, decided from its bytes and never from its name: PDF,
//! JPEG, PNG, and the ZIP containers OFD (the national standard for fixed
//! documents, 版式文件), DOCX and XLSX when their contents show they are
//! one. Any other archive, an executable, or an Office file with macros
//! is refused.

use std::io::{Read, Seek};

use serde::Serialize;

use crate::domain::{DomainError, DomainResult, Text};

/// An accepted kind of file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub enum MediaType {
    #[serde(rename = "application/pdf")]
    Pdf,
    #[serde(rename = "image/jpeg")]
    Jpeg,
    #[serde(rename = "image/png")]
    Png,
    #[serde(rename = "application/ofd")]
    Ofd,
    #[serde(rename = "application/vnd.openxmlformats-officedocument.wordprocessingml.document")]
    Docx,
    #[serde(rename = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")]
    Xlsx,
}

impl MediaType {
    pub const ALL: [MediaType; 6] = [
        MediaType::Pdf,
        MediaType::Jpeg,
        MediaType::Png,
        MediaType::Ofd,
        MediaType::Docx,
        MediaType::Xlsx,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            MediaType::Pdf => "application/pdf",
            MediaType::Jpeg => "image/jpeg",
            MediaType::Png => "image/png",
            MediaType::Ofd => "application/ofd",
            MediaType::Docx => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            MediaType::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        }
    }
}

/// The entries a ZIP container may hold before it is not looked into.
const MAX_ENTRIES: usize = 10_000;

/// Names inside a container that make it something to refuse.
const EXECUTABLE_SUFFIXES: &[&str] = &[
    ".exe", ".dll", ".com", ".scr", ".msi", ".bat", ".cmd", ".ps1", ".vbs", ".js", ".jar", ".sh", ".elf", ".so",
    ".dylib", ".apk",
];

/// What `file` is; 415 with what it looked like when it is nothing accepted.
pub fn identify<R: Read + Seek>(mut file: R) -> DomainResult<MediaType> {
    let mut head = [0u8; 8];
    let read = read_head(&mut file, &mut head)?;
    let head = &head[..read];
    if head.starts_with(b"%PDF-") {
        return Ok(MediaType::Pdf);
    }
    if head.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return Ok(MediaType::Jpeg);
    }
    if head.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]) {
        return Ok(MediaType::Png);
    }
    if head.starts_with(b"PK\x03\x04") {
        file.rewind().map_err(io)?;
        return container(file);
    }
    Err(refuse(match head {
        [b'M', b'Z', ..] => "a Windows executable",
        [0x7F, b'E', b'L', b'F', ..] => "an ELF executable",
        [0xCF, 0xFA, 0xED, 0xFE, ..] | [0xFE, 0xED, 0xFA, 0xCF, ..] | [0xCA, 0xFE, 0xBA, 0xBE, ..] => {
            "a Mach-O executable or a Java class"
        }
        [b'#', b'!', ..] => "a script",
        [0x1F, 0x8B, ..] | [b'R', b'a', b'r', b'!', ..] | [b'7', b'z', 0xBC, 0xAF, ..] => "an archive",
        [0xD0, 0xCF, 0x11, 0xE0, ..] => "an old Office file (.doc, .xls): save it as DOCX, XLSX or PDF",
        [b'P', b'K', ..] => "a ZIP archive",
        [] => "an empty file",
        _ => "a kind of file that is not accepted",
    }))
}

/// A ZIP file is accepted when it is an OFD, a DOCX or an XLSX.
fn container<R: Read + Seek>(file: R) -> DomainResult<MediaType> {
    let archive = zip::ZipArchive::new(file).map_err(|_| refuse("a damaged ZIP archive"))?;
    if archive.len() > MAX_ENTRIES {
        return Err(refuse("a ZIP archive of more entries than any document has"));
    }
    let names: Vec<String> = archive
        .file_names()
        .map(|n| n.map(|n| n.replace('\\', "/")))
        .collect::<Result<_, _>>()
        .map_err(|_| refuse("a damaged ZIP archive"))?;
    let has = |name: &str| names.iter().any(|n| n == name);
    if let Some(bad) = names.iter().find(|n| {
        let lower = n.to_lowercase();
        EXECUTABLE_SUFFIXES.iter().any(|s| lower.ends_with(s))
    }) {
        return Err(refuse_text(format!("a ZIP archive that holds a program ({bad})")));
    }
    if names.iter().any(|n| n.to_lowercase().ends_with("vbaproject.bin")) {
        return Err(refuse("an Office file with macros: save it without them (DOCX, XLSX)"));
    }
    if has("[Content_Types].xml") {
        if has("word/document.xml") {
            return Ok(MediaType::Docx);
        }
        if has("xl/workbook.xml") {
            return Ok(MediaType::Xlsx);
        }
        return Err(refuse(
            "an Office file that is neither a DOCX document nor an XLSX workbook",
        ));
    }
    if has("OFD.xml") {
        return Ok(MediaType::Ofd);
    }
    Err(refuse("a ZIP archive that is not a document (OFD, DOCX or XLSX)"))
}

fn read_head<R: Read>(file: &mut R, head: &mut [u8]) -> DomainResult<usize> {
    let mut filled = 0;
    while filled < head.len() {
        match file.read(&mut head[filled..]).map_err(io)? {
            0 => break,
            n => filled += n,
        }
    }
    Ok(filled)
}

fn io(err: std::io::Error) -> DomainError {
    DomainError::Internal(anyhow::Error::new(err).context("reading an upload"))
}

fn refuse(what: &str) -> DomainError {
    refuse_text(what.to_owned())
}

fn refuse_text(what: String) -> DomainError {
    DomainError::UnsupportedMediaType(
        Text::new(
            "the file is %{kind}; attach PDF, JPEG, PNG, OFD, DOCX or XLSX (the kind is read from the content, not the name)",
        )
        .arg("kind", what),
    )
}

#[cfg(test)]
mod tests {
    use std::io::{Cursor, Write};

    use super::*;

    fn zip_of(names: &[&str]) -> Vec<u8> {
        let mut buffer = Cursor::new(Vec::new());
        {
            let mut zip = zip::ZipWriter::new(&mut buffer);
            for name in names {
                zip.start_file(*name, zip::write::SimpleFileOptions::default())
                    .expect("start an entry");
                zip.write_all(b"<x/>").expect("write an entry");
            }
            zip.finish().expect("finish the archive");
        }
        buffer.into_inner()
    }

    fn kind(bytes: &[u8]) -> Result<MediaType, String> {
        identify(Cursor::new(bytes)).map_err(|e| e.to_string())
    }

    #[test]
    fn reads_the_kind_from_the_bytes() {
        assert_eq!(kind(b"%PDF-1.7\n..."), Ok(MediaType::Pdf));
        assert_eq!(kind(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10]), Ok(MediaType::Jpeg));
        assert_eq!(kind(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"), Ok(MediaType::Png));
        assert_eq!(
            kind(&zip_of(&["[Content_Types].xml", "word/document.xml"])),
            Ok(MediaType::Docx)
        );
        assert_eq!(
            kind(&zip_of(&["[Content_Types].xml", "xl/workbook.xml"])),
            Ok(MediaType::Xlsx)
        );
        assert_eq!(kind(&zip_of(&["OFD.xml", "Doc_0/Document.xml"])), Ok(MediaType::Ofd));
    }

    #[test]
    fn refuses_what_is_not_a_document() {
        assert!(kind(b"MZ\x90\0\x03\0\0\0").unwrap_err().contains("Windows executable"));
        assert!(kind(b"\x7fELF\x02\x01").unwrap_err().contains("ELF"));
        assert!(kind(b"#!/bin/sh\nrm").unwrap_err().contains("script"));
        assert!(kind(&zip_of(&["a.txt"])).unwrap_err().contains("not a document"));
        assert!(
            kind(&zip_of(&["OFD.xml", "setup.exe"]))
                .unwrap_err()
                .contains("setup.exe")
        );
        assert!(
            kind(&zip_of(&[
                "[Content_Types].xml",
                "word/document.xml",
                "word/vbaProject.bin"
            ]))
            .unwrap_err()
            .contains("macros")
        );
        assert!(kind(b"").unwrap_err().contains("empty"));
        assert!(kind(b"plain text").unwrap_err().contains("not accepted"));
    }
}
