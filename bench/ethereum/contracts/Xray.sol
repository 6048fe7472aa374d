// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// The paper's `xr` contract (Reddy & Bosu Babu), restated for the Ethereum baselines of the
/// medchain benchmark: one contract per patient; gov grants and revokes permissions; a permitted
/// doctor appends {doctorName, part, hash}; the host sets birthday and contact; permitted users
/// read. Strings stay strings (the paper stores the hash as 64 hex characters), so gas and
/// storage are what the paper's design costs. The paper's `strlib` only joined strings for
/// display; nothing here needs it.
contract Xray {
    /// userType 1 = doctor, as in the paper's enum of user types.
    enum UserType { None, Doctor, Host, Patient }

    struct Permission {
        string name;
        UserType userType;
        bool allowed;
    }

    struct Record {
        string doctorName;
        string part;
        string hash;
    }

    address public immutable gov;
    string private patientName;
    uint256 private age;
    /// The paper's last two constructor arguments (0 and 1): small integers it does not explain.
    uint256 public immutable code0;
    uint256 public immutable code1;
    string private birthday;
    string private contact;

    mapping(address => Permission) private permissions;
    Record[] private records;

    event PermissionSet(address indexed user, UserType userType, bool allowed);
    event PermissionRemoved(address indexed user);
    event XrayRecorded(uint256 indexed index, address indexed doctor);

    constructor(string memory name_, address gov_, uint256 age_, uint256 code0_, uint256 code1_) {
        patientName = name_;
        gov = gov_;
        age = age_;
        code0 = code0_;
        code1 = code1_;
    }

    modifier onlyGov() {
        require(msg.sender == gov, "NOT_GOV");
        _;
    }

    modifier onlyRole(UserType t, string memory reason) {
        Permission storage p = permissions[msg.sender];
        require(p.allowed && p.userType == t, reason);
        _;
    }

    modifier onlyReader() {
        require(msg.sender == gov || permissions[msg.sender].allowed, "NOT_PERMITTED");
        _;
    }

    function setPermission(address user, string calldata name, UserType userType, bool allowed) external onlyGov {
        permissions[user] = Permission(name, userType, allowed);
        emit PermissionSet(user, userType, allowed);
    }

    function removePermission(address user) external onlyGov {
        permissions[user].allowed = false;
        emit PermissionRemoved(user);
    }

    function setXrayhash(string calldata part, string calldata hash) external onlyRole(UserType.Doctor, "NOT_DOCTOR") {
        records.push(Record(permissions[msg.sender].name, part, hash));
        emit XrayRecorded(records.length - 1, msg.sender);
    }

    function setBirthday(string calldata value) external onlyRole(UserType.Host, "NOT_HOST") {
        birthday = value;
    }

    function setContact(string calldata value) external onlyRole(UserType.Host, "NOT_HOST") {
        contact = value;
    }

    function getXrayhashCount() external view onlyReader returns (uint256) {
        return records.length;
    }

    function getXrayhash(uint256 i) external view onlyReader returns (string memory, string memory, string memory) {
        require(i < records.length, "NO_SUCH_RECORD");
        Record storage r = records[i];
        return (r.doctorName, r.part, r.hash);
    }

    function profile() external view onlyReader returns (string memory, uint256, string memory, string memory) {
        return (patientName, age, birthday, contact);
    }
}
