// The USB stick page: a folder dropped on the zone is read whole (sub-folders too) and sent with the
// form, as if its files had been picked with "ou des fichiers". Without JavaScript both inputs still work.
(function () {
  "use strict";
  function readEntry(entry, out) {
    if (entry.isFile) {
      return new Promise(function (resolve) { entry.file(function (f) { out.push(f); resolve(); }, resolve); });
    }
    if (!entry.isDirectory) { return Promise.resolve(); }
    var reader = entry.createReader();
    return new Promise(function (resolve) {
      var all = [];
      (function more() {
        reader.readEntries(function (batch) {
          if (!batch.length) { Promise.all(all).then(resolve); return; }
          batch.forEach(function (e) { all.push(readEntry(e, out)); });
          more();
        }, resolve);
      })();
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    var zone = document.querySelector("[data-hw-drop]");
    var form = document.getElementById("hw-drop-form");
    var input = document.getElementById("hw-files");
    if (!zone || !form || !input || typeof DataTransfer === "undefined") { return; }
    zone.addEventListener("dragover", function (e) { e.preventDefault(); zone.classList.add("hw-drop__zone--over"); });
    zone.addEventListener("dragleave", function () { zone.classList.remove("hw-drop__zone--over"); });
    zone.addEventListener("drop", function (e) {
      e.preventDefault();
      zone.classList.remove("hw-drop__zone--over");
      var files = [];
      var items = Array.prototype.slice.call(e.dataTransfer.items || []);
      var reads = items.map(function (item) {
        var entry = item.webkitGetAsEntry ? item.webkitGetAsEntry() : null;
        if (entry) { return readEntry(entry, files); }
        var f = item.getAsFile && item.getAsFile();
        if (f) { files.push(f); }
        return Promise.resolve();
      });
      Promise.all(reads).then(function () {
        if (!files.length) { return; }
        var dt = new DataTransfer();
        files.forEach(function (f) { dt.items.add(f); });
        input.files = dt.files;
        document.getElementById("hw-folder").value = "";
        form.submit();
      });
    });
  });
})();
