/// softq's version, recorded in every export's provenance.
public enum SoftQVersion {
    public static let string = "0.1.0"
}
