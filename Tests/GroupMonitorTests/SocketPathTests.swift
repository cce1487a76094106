import Foundation
import GroupEvents
@testable import GroupMonitor
import Testing
import Glibc
import MonitorClient
import SystemCalls
import TestSupport

@Suite("Socket path and permissions")
struct SocketPathTests {
    @Test func socketIsMode0600InA0700DirectoryEvenUnderUmask000() throws {
        let runtime = ScratchDirectory(prefix: "sgmon") // mkdtemp makes it 0700, owned by us: a valid XDG_RUNTIME_DIR
        let old = umask(0)
        defer { umask(old) }
        let directory = try SocketPath.defaultDirectory { $0 == "XDG_RUNTIME_DIR" ? runtime.path : nil }
        #expect(directory == runtime.file("safegroup"))
        let monitor = try startMonitor(at: "\(directory)/svc.sock")
        defer { monitor.shutdown() }

        let dirStat = try #require(try Posix.lstat(directory))
        #expect(dirStat.st_mode & S_IFMT == S_IFDIR)
        #expect(dirStat.st_mode & 0o777 == 0o700)
        let sockStat = try #require(try Posix.lstat(monitor.socketPath))
        #expect(sockStat.st_mode & S_IFMT == S_IFSOCK)
        #expect(sockStat.st_mode & 0o777 == 0o600)
        let lockStat = try #require(try Posix.lstat(monitor.socketPath + ".lock"))
        #expect(lockStat.st_mode & 0o777 == 0o600)
        #expect(umask(0) == 0, "the monitor must not change the process umask")
    }

    @Test func defaultPathIsServiceAndPidInThePrivateDirectory() throws {
        let runtime = ScratchDirectory(prefix: "sgmon")
        let path = try SocketPath.resolve(service: "check/out") { $0 == "XDG_RUNTIME_DIR" ? runtime.path : nil }
        #expect(path == "\(runtime.path)/safegroup/check_out-\(getpid()).sock")
    }

    @Test func environmentVariableAndArgumentOverrideTheDefault() throws {
        let env: (String) -> String? = { $0 == "SAFEGROUP_SOCKET" ? "/tmp/from-env.sock" : nil }
        #expect(try SocketPath.resolve(service: "s", environment: env) == "/tmp/from-env.sock")
        #expect(try SocketPath.resolve(service: "s", explicit: "/tmp/arg.sock", environment: env) == "/tmp/arg.sock")
    }

    @Test func runtimeDirectoryOpenToOthersFallsBackToTmp() throws {
        let runtime = ScratchDirectory(prefix: "sgmon")
        chmod(runtime.path, 0o755)
        let directory = try SocketPath.defaultDirectory { $0 == "XDG_RUNTIME_DIR" ? runtime.path : nil }
        #expect(directory == "/tmp/safegroup-\(getuid())")
    }

    @Test func plantedSymlinkAtTheDirectoryIsRefused() throws {
        let runtime = ScratchDirectory(prefix: "sgmon")
        let elsewhere = ScratchDirectory(prefix: "sgmon")
        symlink(elsewhere.path, runtime.file("safegroup"))
        let error = #expect(throws: MonitorError.self) {
            try SocketPath.defaultDirectory { $0 == "XDG_RUNTIME_DIR" ? runtime.path : nil }
        }
        #expect(error?.code == .unsafeDirectory)
        #expect(error?.message.contains("symbolic link") == true)
        #expect(error?.message.contains(runtime.file("safegroup")) == true)
    }

    @Test func directoryWithAWiderModeIsRefused() throws {
        let runtime = ScratchDirectory(prefix: "sgmon")
        mkdir(runtime.file("safegroup"), 0o755)
        chmod(runtime.file("safegroup"), 0o755)
        let error = #expect(throws: MonitorError.self) {
            try SocketPath.defaultDirectory { $0 == "XDG_RUNTIME_DIR" ? runtime.path : nil }
        }
        #expect(error?.message.contains("mode is 755") == true)
    }

    @Test func plantedSymlinkAtTheSocketPathIsRefusedAndLeftAlone() throws {
        let dir = ScratchDirectory(prefix: "sgmon")
        let target = dir.file("target")
        _ = FileManager.default.createFile(atPath: target, contents: Data("keep".utf8))
        symlink(target, dir.file("svc.sock"))
        let error = #expect(throws: MonitorError.self) { try startMonitor(at: dir.file("svc.sock")) }
        #expect(error?.code == .unsafeSocketPath)
        #expect(error?.message.contains("symbolic link") == true)
        #expect(try Posix.lstat(dir.file("svc.sock")).map { $0.st_mode & S_IFMT } == S_IFLNK)
        #expect(FileManager.default.contents(atPath: target) == Data("keep".utf8))
    }

    @Test func plantedSymlinkAtTheLockPathIsRefused() throws {
        let dir = ScratchDirectory(prefix: "sgmon")
        symlink(dir.file("elsewhere"), dir.file("svc.sock.lock"))
        let error = #expect(throws: MonitorError.self) { try startMonitor(at: dir.file("svc.sock")) }
        #expect(error?.code == .unsafeSocketPath)
        #expect(try Posix.lstat(dir.file("elsewhere")) == nil)
    }

    @Test func regularFileAtTheSocketPathIsRefused() throws {
        let dir = ScratchDirectory(prefix: "sgmon")
        _ = FileManager.default.createFile(atPath: dir.file("svc.sock"), contents: Data("data".utf8))
        let error = #expect(throws: MonitorError.self) { try startMonitor(at: dir.file("svc.sock")) }
        #expect(error?.code == .unsafeSocketPath)
    }

    /// A path longer than a socket address holds would be served where no client can connect.
    @Test func aPathTooLongForASocketAddressIsRefusedWithTheLimit() throws {
        let dir = ScratchDirectory(prefix: "sgmon")
        let path = dir.file(String(repeating: "s", count: 120) + ".sock")
        let error = #expect(throws: MonitorError.self) { try startMonitor(at: path) }
        #expect(error?.code == .socketPathTooLong)
        #expect(error?.description.contains("longer than the 107 bytes") == true, "\(String(describing: error))")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty, "something was left behind")
        // The longest that fits is served.
        let longest = dir.path + "/" + String(repeating: "x", count: 107 - dir.path.utf8.count - 1)
        let monitor = try startMonitor(at: longest)
        monitor.shutdown()
    }

    /// A refused service directory is named with why, for list's and attach's "no services".
    @Test func aRefusedServiceDirectoryIsNamedWithWhy() throws {
        let runtime = ScratchDirectory(prefix: "sgmon")
        let environment: (String) -> String? = { $0 == "XDG_RUNTIME_DIR" ? runtime.path : nil }
        #expect(mkdir(runtime.file("safegroup"), 0o700) == 0)
        #expect(chmod(runtime.file("safegroup"), 0o755) == 0)
        #expect(ServiceDirectory.refusals(environment: environment).contains("\(runtime.file("safegroup")): its mode is 755, not 700"))
        #expect(ServiceDirectory.placesLookedIn(environment: environment)
            .contains("; refused \(runtime.file("safegroup")): its mode is 755, not 700"))
        #expect(rmdir(runtime.file("safegroup")) == 0)
        #expect(symlink("/tmp", runtime.file("safegroup")) == 0)
        #expect(ServiceDirectory.refusals(environment: environment).contains("\(runtime.file("safegroup")): it is a symbolic link"))
        #expect(unlink(runtime.file("safegroup")) == 0)
        #expect(mkdir(runtime.file("safegroup"), 0o700) == 0)
        #expect(!ServiceDirectory.refusals(environment: environment).contains { $0.hasPrefix(runtime.path) })
    }

    @Test func shutdownRemovesSocketAndLockFile() throws {
        let dir = ScratchDirectory(prefix: "sgmon")
        let monitor = try startMonitor(at: dir.file("svc.sock"))
        #expect(try Posix.lstat(dir.file("svc.sock")) != nil)
        monitor.shutdown()
        #expect(try Posix.lstat(dir.file("svc.sock")) == nil)
        #expect(try Posix.lstat(dir.file("svc.sock.lock")) == nil)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty)
    }

    @Test func errorsNameTheCallAndThePath() {
        let error = PosixError(call: "bind", subject: "/run/user/0/safegroup/x.sock", errno: EADDRINUSE)
        #expect(error.description == "cannot bind /run/user/0/safegroup/x.sock: Address already in use")
    }
}
