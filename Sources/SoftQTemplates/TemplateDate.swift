import Foundation

/// The wall-clock time `strftime_now` formats. transformers calls `datetime.now()`; softq takes
/// the time from the caller so that a rendering is reproducible.
public struct TemplateDate: Sendable, Equatable {
    public var year: Int, month: Int, day: Int
    public var hour: Int, minute: Int, second: Int

    public init(year: Int, month: Int, day: Int, hour: Int = 0, minute: Int = 0, second: Int = 0) {
        self.year = year; self.month = month; self.day = day
        self.hour = hour; self.minute = minute; self.second = second
    }

    /// The calendar fields of `date` in `timeZone` (Gregorian calendar).
    public init(_ date: Date, timeZone: TimeZone = TimeZone(secondsFromGMT: 0) ?? .current) {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        self.init(year: c.year ?? 1970, month: c.month ?? 1, day: c.day ?? 1,
                  hour: c.hour ?? 0, minute: c.minute ?? 0, second: c.second ?? 0)
    }

    static let dayNames = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
    static let monthNames = ["January", "February", "March", "April", "May", "June", "July", "August",
                             "September", "October", "November", "December"]

    /// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
    var daysSinceEpoch: Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146097 + doe - 719468
    }

    /// 0 = Monday … 6 = Sunday (1970-01-01 was a Thursday).
    var weekdayFromMonday: Int { ((daysSinceEpoch % 7) + 7 + 3) % 7 }

    var dayOfYear: Int {
        daysSinceEpoch - TemplateDate(year: year, month: 1, day: 1).daysSinceEpoch + 1
    }

    /// C's strftime in the C locale, as Python's `datetime.strftime` calls it on Linux, for the
    /// directives chat templates use; glibc's `%-d` (no padding) is accepted. Others are refused.
    func strftime(_ format: String) throws -> String {
        guard (1...12).contains(month), (1...31).contains(day), (0...23).contains(hour), (0...59).contains(minute),
              (0...61).contains(second) else {
            throw TemplateError(.type, "strftime_now: the date \(year)-\(month)-\(day) \(hour):\(minute):\(second) is not valid")
        }
        var out = ""
        var it = format.unicodeScalars.makeIterator()
        while let c = it.next() {
            guard c == "%" else { out.unicodeScalars.append(c); continue }
            guard var d = it.next() else { out += "%"; break }
            var pad = true
            if d == "-" {
                pad = false
                guard let e = it.next() else { throw TemplateError(.type, "strftime: incomplete directive") }
                d = e
            }
            func num(_ v: Int, _ width: Int, _ fill: Character = "0") -> String {
                let s = String(v)
                return pad && s.count < width ? String(repeating: fill, count: width - s.count) + s : s
            }
            let hour12 = hour % 12 == 0 ? 12 : hour % 12
            switch d {
            case "a": out += String(TemplateDate.dayNames[weekdayFromMonday].prefix(3))
            case "A": out += TemplateDate.dayNames[weekdayFromMonday]
            case "b", "h": out += String(TemplateDate.monthNames[month - 1].prefix(3))
            case "B": out += TemplateDate.monthNames[month - 1]
            case "d": out += num(day, 2)
            case "e": out += num(day, 2, " ")
            case "m": out += num(month, 2)
            case "y": out += num(((year % 100) + 100) % 100, 2)
            case "Y": out += String(year)
            case "H": out += num(hour, 2)
            case "I": out += num(hour12, 2)
            case "M": out += num(minute, 2)
            case "S": out += num(second, 2)
            case "p": out += hour < 12 ? "AM" : "PM"
            case "j": out += num(dayOfYear, 3)
            case "u": out += String(weekdayFromMonday + 1)
            case "w": out += String((weekdayFromMonday + 1) % 7)
            case "F": out += try strftime("%Y-%m-%d")
            case "D", "x": out += try strftime("%m/%d/%y")
            case "T", "X": out += try strftime("%H:%M:%S")
            case "R": out += try strftime("%H:%M")
            case "c": out += try strftime("%a %b %e %H:%M:%S %Y")
            case "n": out += "\n"
            case "t": out += "\t"
            case "%": out += "%"
            default:
                throw TemplateError(.unsupported, "strftime directive %\(Character(d))")
            }
        }
        return out
    }
}
