import Foundation

/// A self-contained HTML page: inline CSS, inline SVG and at most one inline
/// script; nothing is fetched when it is viewed (no network, no fonts).
///
/// The page marks itself ready (`<body data-ready="1">`) once its script has
/// run, and shows any script error in a red box (`#page-error`), so a test or
/// a reader sees a broken page at once.
public struct HTMLPage: Sendable {
    /// The page's title, shown in the browser's tab and as its heading.
    public var title: String
    /// HTML fragments, in order (escape text with `escapeXML`).
    package var body: [String] = []
    /// JavaScript run after the body is parsed.
    package var script = ""

    /// An empty page titled `title`.
    package init(title: String) { self.title = title }

    /// Appends a section with a heading and a paragraph of explanation.
    package mutating func section(_ heading: String, _ explanation: String? = nil, _ content: String) {
        var html = "<section><h2>\(escapeXML(heading))</h2>"
        if let explanation { html += "<p class=\"explain\">\(escapeXML(explanation))</p>" }
        body.append(html + content + "</section>")
    }

    /// The whole page as one HTML document.
    public var html: String {
        """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(escapeXML(title))</title>
        <style>
        body { font-family: sans-serif; margin: 16px 24px; color: #222; background: #fff; max-width: 1400px; }
        h1 { font-size: 20px; margin: 4px 0 8px; } h2 { font-size: 16px; margin: 22px 0 6px; }
        p.explain, p.meta { color: #555; font-size: 13px; max-width: 900px; margin: 4px 0 8px; }
        .charts { display: flex; flex-wrap: wrap; gap: 12px; }
        table { border-collapse: collapse; font-size: 12px; } td, th { padding: 2px 8px; border-bottom: 1px solid #eee; text-align: left; }
        td.num { text-align: right; font-variant-numeric: tabular-nums; }
        .text { font-family: monospace; font-size: 13px; line-height: 1.7; white-space: pre-wrap; word-break: break-all; border: 1px solid #ddd; padding: 8px; max-width: 1100px; }
        .text span.t { border-radius: 2px; }
        .text span.oov { outline: 2px solid #000; }
        .controls { font-size: 13px; margin: 6px 0; } .controls select, .controls input { margin-right: 12px; }
        #page-error { background: #fdd; border: 2px solid #c00; padding: 8px; }
        button.unit { font-size: 12px; cursor: pointer; }
        </style></head>
        <body>
        <h1>\(escapeXML(title))</h1>
        \(body.joined(separator: "\n"))
        <script>
        "use strict";
        window.addEventListener("error", function (e) {
          var p = document.createElement("p"); p.id = "page-error"; p.textContent = "page script error: " + e.message; document.body.prepend(p);
        });
        \(script)
        document.body.setAttribute("data-ready", "1");
        </script>
        </body></html>

        """
    }

    /// Writes the page to `path` (a temporary file, then a rename), after checking
    /// that the folder is writable, that `path` is none of `inputs` (by option,
    /// for the message) and that a file already there is a page or SVG, never
    /// another kind of file; holds the output's advisory lock while writing.
    /// - Throws: ``OutputFileError`` naming the file and what to do.
    public func write(to path: String, inputs: [(option: String, path: String)] = []) throws {
        let lock = try Self.claim(path, inputs: inputs)
        defer { lock.release() }
        try Self.write(html, to: path)
    }

    /// Checks that a page may be written at `path` (``OutputFile/check(_:role:content:inputs:)``:
    /// a writable folder, a regular file or nothing, none of `inputs`), that
    /// an existing file there is a page or SVG (never a user's other file), and
    /// takes the lock on it, held until the returned lock is released.
    /// - Throws: ``OutputFileError``.
    package static func claim(_ path: String, inputs: [(option: String, path: String)] = []) throws -> OutputLock {
        try OutputFile.check(path, role: "the page", content: .any, inputs: inputs)
        if let h = FileHandle(forReadingAtPath: path) {
            let head = String(decoding: (try? h.read(upToCount: 64)) ?? Data(), as: UTF8.self)
            try? h.close()
            if !head.isEmpty && !head.hasPrefix("<!DOCTYPE html>") && !head.hasPrefix("<?xml") && !head.hasPrefix("<svg") {
                throw OutputFileError.refused(path: path, role: "the page",
                                              reason: "the file exists and is not an HTML page or SVG; refusing to replace it (choose another path, or delete it)")
            }
        }
        return try OutputFile.lock(path, role: "the page")
    }

    /// Writes `text` to `path` through a temporary file in the same folder,
    /// renamed into place, so a reader never sees half a page.
    /// - Throws: ``OutputFileError/writeFailed(path:role:reason:intact:)``.
    package static func write(_ text: String, to path: String) throws {
        let url = URL(fileURLWithPath: path)
        let temp = url.deletingLastPathComponent().path + "/." + url.lastPathComponent + ".tmp-\(getpid())"
        guard FileManager.default.createFile(atPath: temp, contents: Data(text.utf8)) else {
            throw OutputFileError.writeFailed(path: path, role: "the page", reason: "cannot create \(temp)", intact: nil)
        }
        guard rename(temp, path) == 0 else {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(atPath: temp)
            throw OutputFileError.writeFailed(path: path, role: "the page", reason: reason, intact: nil)
        }
    }
}
