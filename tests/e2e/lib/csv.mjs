// RFC 4180 as the daemon writes it: CRLF records, fields quoted when they hold `,` `"` CR or LF,
// `""` for a quote. Strict: a bare CR or LF, a quote inside an unquoted field, text after a
// closing quote or a last record without CRLF is an error, so a malformed export fails a test.

/** RFC 4180 CSV (CRLF records, quoted fields with "" escapes). Returns rows of strings. */
export function parseCsv(text) {
  const rows = [];
  let row = [];
  let field = '';
  let inQuotes = false;
  let quotedField = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inQuotes) {
      if (c === '"') {
        if (text[i + 1] === '"') { field += '"'; i++; } else inQuotes = false;
      } else field += c;
      continue;
    }
    if (c === '"') {
      if (field !== '' || quotedField) throw new Error(`CSV: quote inside an unquoted field at ${i}`);
      inQuotes = true;
      quotedField = true;
    } else if (c === ',') {
      row.push(field); field = ''; quotedField = false;
    } else if (c === '\r') {
      if (text[i + 1] !== '\n') throw new Error(`CSV: bare CR at ${i}`);
      row.push(field); rows.push(row); row = []; field = ''; quotedField = false; i++;
    } else if (c === '\n') {
      throw new Error(`CSV: bare LF record end at ${i} (records end with CRLF)`);
    } else {
      if (quotedField) throw new Error(`CSV: text after a closing quote at ${i}`);
      field += c;
    }
  }
  if (inQuotes) throw new Error('CSV: unterminated quoted field');
  if (field !== '' || row.length) throw new Error('CSV: last record does not end with CRLF');
  return rows;
}
