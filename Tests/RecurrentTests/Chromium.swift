import Foundation

/// Debian's headless Chromium, to check that a page renders: its DOM after
/// the page's script ran, its console messages, and a screenshot.
enum Chromium {
    static let path: String? = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first { FileManager.default.isExecutableFile(atPath: $0) }
    static var available: Bool { path != nil }

    /// Runs Chromium headless with `arguments` on `url`; returns stdout and the console lines it logged.
    static func run(_ arguments: [String], url: String, profile: String) throws -> (stdout: String, console: [String]) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: path!)
        p.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
                       "--user-data-dir=\(profile)", "--enable-logging=stderr", "--v=0"] + arguments + [url]
        // stderr to a file, so neither pipe can fill up and block Chromium.
        let log = profile + "-stderr-\(UUID().uuidString).log"
        FileManager.default.createFile(atPath: log, contents: nil)
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle(forWritingAtPath: log)
        try p.run()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        let errData = FileManager.default.contents(atPath: log) ?? Data()
        let console = String(decoding: errData, as: UTF8.self).split(separator: "\n").filter { $0.contains(":CONSOLE") }.map(String.init)
        return (String(decoding: outData, as: UTF8.self), console)
    }

    struct Rendered {
        var dom: String
        var console: [String]
        var screenshot: String
        /// Counts `class="NAME"` (or a class list containing NAME) in the DOM.
        func count(_ className: String) -> Int {
            dom.components(separatedBy: "class=\"").dropFirst().filter { $0.prefix { $0 != "\"" }.split(separator: " ").contains(Substring(className)) }.count
        }
    }

    /// The DOM after the page's script ran, the console lines of both runs, and a screenshot in `dir`.
    static func render(_ page: String, dir: String, width: Int = 1200, height: Int = 1500) throws -> Rendered {
        let url = URL(fileURLWithPath: page).absoluteString
        let shot = dir + "/" + URL(fileURLWithPath: page).deletingPathExtension().lastPathComponent + ".png"
        let a = try run(["--screenshot=\(shot)", "--window-size=\(width),\(height)"], url: url, profile: dir + "/profile")
        let b = try run(["--dump-dom"], url: url, profile: dir + "/profile")
        return Rendered(dom: b.stdout, console: a.console + b.console, screenshot: shot)
    }

    /// For each PNG, the fraction of pixels that are not (near) white and the number of distinct colours,
    /// measured by Chromium itself (the images go in as data: URLs, which a canvas may read).
    static func ink(_ pngs: [String], dir: String) throws -> [(fraction: Double, colours: Int)] {
        var html = "<!DOCTYPE html><html><body>"
        for png in pngs {
            let data = try Data(contentsOf: URL(fileURLWithPath: png))
            html += "<img src=\"data:image/png;base64,\(data.base64EncodedString())\">"
        }
        html += """
        <script>
        const out = [];
        for (const img of document.images) {
          const c = document.createElement("canvas"); c.width = img.naturalWidth; c.height = img.naturalHeight;
          const g = c.getContext("2d"); g.drawImage(img, 0, 0);
          const d = g.getImageData(0, 0, c.width, c.height).data;
          let ink = 0; const colours = new Set();
          for (let i = 0; i < d.length; i += 4) {
            if (d[i] < 235 || d[i + 1] < 235 || d[i + 2] < 235) ink++;
            if (colours.size < 1000) colours.add((d[i] << 16) | (d[i + 1] << 8) | d[i + 2]);
          }
          out.push((ink / (d.length / 4)).toFixed(4) + "/" + colours.size);
        }
        document.body.setAttribute("data-ink", out.join(" "));
        </script></body></html>
        """
        let checker = dir + "/ink.html"
        try html.write(toFile: checker, atomically: true, encoding: .utf8)
        let dom = try run(["--dump-dom"], url: URL(fileURLWithPath: checker).absoluteString, profile: dir + "/profile").stdout
        guard let range = dom.range(of: "data-ink=\"") else { return [] }
        return dom[range.upperBound...].prefix { $0 != "\"" }.split(separator: " ").map { item in
            let parts = item.split(separator: "/")
            return (Double(parts[0]) ?? 0, Int(parts[1]) ?? 0)
        }
    }
}
