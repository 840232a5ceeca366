<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN" sourcelanguage="en">
<context>
    <name></name>
    <message>
        <source>Partly supported: some of this sentence is not in source {n}.</source>
        <translation>部分有据：这句话有些内容不在资料 {n} 中。</translation>
    </message>
    <message>
        <source>No source supports this sentence: check it before you rely on it.</source>
        <translation>没有资料支持这句话：使用前请核对。</translation>
    </message>
    <message>
        <source>Found in source {n} ({label}): “{excerpt}”</source>
        <translation>见资料 {n}（{label}）：“{excerpt}”</translation>
    </message>
    <message>
        <source>Not in the sources: no passage given to the model contains this figure. Check it before you rely on it.</source>
        <translation>资料中没有：交给模型的段落都不含这个数字。使用前请核对。</translation>
    </message>
    <message>
        <source>There is no source {n}: the model made up this reference.</source>
        <translation>没有资料 {n}：这个引用是模型编造的。</translation>
    </message>
    <message>
        <source>Thinking… ({n} words)</source>
        <translation>思考中……（{n} 字）</translation>
    </message>
    <message>
        <source>▸ Reasoning ({n} words) — show</source>
        <translation>▸ 推理过程（{n} 字）— 展开</translation>
    </message>
    <message>
        <source>▾ Reasoning ({n} words) — hide</source>
        <translation>▾ 推理过程（{n} 字）— 收起</translation>
    </message>
</context>
<context>
    <name>AnswerBubble</name>
    <message>
        <source>Answer</source>
        <translation>回答</translation>
    </message>
</context>
<context>
    <name>ArchiveActions</name>
    <message>
        <source>Export knowledge base “{kb}”</source>
        <translation>导出知识库“{kb}”</translation>
    </message>
    <message>
        <source>Wenji knowledge bases (*{suffix})</source>
        <translation>文集知识库 (*{suffix})</translation>
    </message>
    <message>
        <source>Export knowledge base</source>
        <translation>导出知识库</translation>
    </message>
    <message>
        <source>Include the documents themselves? The archive is larger, and the person who imports it can open the pages the answers cite.</source>
        <translation>是否同时包含文档本身？归档文件会更大，但导入的人可以打开回答所引用的页面。</translation>
    </message>
    <message>
        <source>Exporting “{kb}”…</source>
        <translation>正在导出“{kb}”…</translation>
    </message>
    <message>
        <source>Exported {documents} document(s), {chunks} passages to {file} ({size})</source>
        <translation>已导出 {documents} 个文档、{chunks} 个段落到 {file}（{size}）</translation>
    </message>
    <message>
        <source>Import a knowledge base</source>
        <translation>导入知识库</translation>
    </message>
    <message>
        <source>Wenji knowledge bases (*{suffix});;All files (*)</source>
        <translation>文集知识库 (*{suffix});;所有文件 (*)</translation>
    </message>
    <message>
        <source>A knowledge base named “{name}” exists already. Import it as:</source>
        <translation>已有名为“{name}”的知识库。导入为：</translation>
    </message>
    <message>
        <source>Its passages were embedded with {archived}; this Wenji searches with {current}. Embed them again now? (minutes for a large knowledge base)</source>
        <translation>它的段落是用 {archived} 嵌入的，而这里的文集使用 {current} 检索。现在重新嵌入吗？（大的知识库需要几分钟）</translation>
    </message>
    <message>
        <source>Importing “{name}”…</source>
        <translation>正在导入“{name}”…</translation>
    </message>
    <message>
        <source>Imported “{kb}”: {documents} document(s), {chunks} passages in {seconds:.0f} s{how}</source>
        <translation>已导入“{kb}”：{documents} 个文档、{chunks} 个段落，用时 {seconds:.0f} 秒{how}</translation>
    </message>
    <message>
        <source> (embedded again)</source>
        <translation>（已重新嵌入）</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <source>Knowledge base</source>
        <translation>知识库</translation>
    </message>
</context>
<context>
    <name>ChatPanel</name>
    <message>
        <source>Ask a question about your documents…  (Enter sends, Shift+Enter new line, Esc stops)</source>
        <translation>向你的文档提问…（Enter 发送，Shift+Enter 换行，Esc 停止）</translation>
    </message>
    <message>
        <source>Send</source>
        <translation>发送</translation>
    </message>
    <message>
        <source>Stop</source>
        <translation>停止</translation>
    </message>
    <message>
        <source>Sources</source>
        <translation>来源</translation>
    </message>
    <message>
        <source>Document</source>
        <translation>文档</translation>
    </message>
    <message>
        <source>Ask the whole knowledge base</source>
        <translation>改为询问整个知识库</translation>
    </message>
    <message>
        <source> and {n} more</source>
        <translation> 等另外 {n} 个</translation>
    </message>
    <message>
        <source>Asking about: {names}</source>
        <translation>提问范围：{names}</translation>
    </message>
    <message>
        <source>Could not save the chat: %1</source>
        <translation>无法保存对话：%1</translation>
    </message>
    <message>
        <source>Stopping the answer…</source>
        <translation>正在停止回答…</translation>
    </message>
    <message>
        <source>, about {s} s left</source>
        <translation>，约剩 {s} 秒</translation>
    </message>
    <message>
        <source>Reading section {done} of {total}{left}</source>
        <translation>正在阅读第 {done}/{total} 节{left}</translation>
    </message>
    <message>
        <source>Closest passages</source>
        <translation>最接近的段落</translation>
    </message>
    <message>
        <source>Passages used</source>
        <translation>所用段落</translation>
    </message>
    <message>
        <source>Could not answer:</source>
        <translation>无法回答：</translation>
    </message>
    <message>
        <source>(stopped)</source>
        <translation>（已停止）</translation>
    </message>
    <message>
        <source>Copy</source>
        <translation>复制</translation>
    </message>
    <message>
        <source>Inferred: the answer did not cite it; its sentence matches this passage</source>
        <translation>推断：回答未引用此段，但其句子与此段相符</translation>
    </message>
    <message>
        <source>Question</source>
        <translation>问题</translation>
    </message>
    <message>
        <source>Source {n}: {label}</source>
        <translation>来源 {n}：{label}</translation>
    </message>
    <message>
        <source>Copy the answer (Ctrl+Shift+C)</source>
        <translation>复制回答（Ctrl+Shift+C）</translation>
    </message>
    <message>
        <source>Regenerate</source>
        <translation>重新生成</translation>
    </message>
    <message>
        <source>Ask the same question again</source>
        <translation>再问一次同样的问题</translation>
    </message>
    <message>
        <source>Export…</source>
        <translation>导出…</translation>
    </message>
    <message>
        <source>Save the answer with its sources as Markdown</source>
        <translation>把回答连同来源保存为 Markdown</translation>
    </message>
    <message>
        <source>Copy code {k}</source>
        <translation>复制代码 {k}</translation>
    </message>
    <message>
        <source>Copy code block {k} of the answer</source>
        <translation>复制回答中的第 {k} 段代码</translation>
    </message>
    <message>
        <source>{n} figure not in the sources</source>
        <translation>{n} 个数字不在资料中</translation>
    </message>
    <message>
        <source>{n} figures not in the sources</source>
        <translation>{n} 个数字不在资料中</translation>
    </message>
    <message>
        <source>{n} reference to no source</source>
        <translation>{n} 处引用了不存在的资料</translation>
    </message>
    <message>
        <source>{n} references to no source</source>
        <translation>{n} 处引用了不存在的资料</translation>
    </message>
    <message>
        <source>Answer copied</source>
        <translation>已复制回答</translation>
    </message>
    <message>
        <source>Code copied</source>
        <translation>代码已复制</translation>
    </message>
    <message>
        <source>Export the answer</source>
        <translation>导出回答</translation>
    </message>
    <message>
        <source>Markdown (*.md)</source>
        <translation>Markdown (*.md)</translation>
    </message>
    <message>
        <source>Could not export the answer to {file}: {reason}</source>
        <translation>无法把回答导出到 {file}：{reason}</translation>
    </message>
    <message>
        <source>Answer saved to {file}</source>
        <translation>回答已保存到 {file}</translation>
    </message>
</context>
<context>
    <name>ChatTranscript</name>
    <message>
        <source>Conversation</source>
        <translation>对话</translation>
    </message>
</context>
<context>
    <name>ConversationList</name>
    <message>
        <source>New</source>
        <translation>新建</translation>
    </message>
    <message>
        <source>Start a new conversation (Ctrl+N)</source>
        <translation>开始新对话（Ctrl+N）</translation>
    </message>
    <message>
        <source>Rename</source>
        <translation>重命名</translation>
    </message>
    <message>
        <source>Delete</source>
        <translation>删除</translation>
    </message>
    <message>
        <source>Export…</source>
        <translation>导出…</translation>
    </message>
    <message>
        <source>Save the conversation as a Markdown file</source>
        <translation>将对话保存为 Markdown 文件</translation>
    </message>
    <message>
        <source>Cannot read the saved conversations: {reason}</source>
        <translation>无法读取已保存的对话：{reason}</translation>
    </message>
    <message>
        <source>Chat {n}</source>
        <translation>对话 {n}</translation>
    </message>
    <message>
        <source>{count} messages · last used {when}</source>
        <translation>{count} 条消息 · 最近使用 {when}</translation>
    </message>
    <message>
        <source>Cannot rename the conversation: {reason}</source>
        <translation>无法重命名对话：{reason}</translation>
    </message>
    <message>
        <source>Delete conversation</source>
        <translation>删除对话</translation>
    </message>
    <message>
        <source>Delete the conversation “{title}”? This cannot be undone.</source>
        <translation>删除对话“{title}”？此操作无法撤销。</translation>
    </message>
    <message>
        <source>Cannot delete the conversation: {reason}</source>
        <translation>无法删除对话：{reason}</translation>
    </message>
    <message>
        <source>Export conversation</source>
        <translation>导出对话</translation>
    </message>
    <message>
        <source>Markdown files (*.md);;All files (*)</source>
        <translation>Markdown 文件 (*.md);;所有文件 (*)</translation>
    </message>
    <message>
        <source>Cannot export to {file}: {reason}</source>
        <translation>无法导出到 {file}：{reason}</translation>
    </message>
    <message>
        <source>Exported the conversation to {file}</source>
        <translation>已将对话导出到 {file}</translation>
    </message>
</context>
<context>
    <name>DropTarget</name>
    <message>
        <source>Drop PDF or Markdown files or folders here</source>
        <translation>把 PDF 或 Markdown 文件或文件夹拖放到这里</translation>
    </message>
    <message>
        <source>They stay on this computer: Wenji reads them, splits them into passages and indexes them for questions.</source>
        <translation>文件只留在这台电脑上：文集读取它们，切分成段落并建立索引，供你提问。</translation>
    </message>
    <message>
        <source>Add files…</source>
        <translation>添加文件…</translation>
    </message>
    <message>
        <source>Add a folder…</source>
        <translation>添加文件夹…</translation>
    </message>
</context>
<context>
    <name>EmptyChat</name>
    <message>
        <source>Ask your documents</source>
        <translation>向你的文档提问</translation>
    </message>
    <message>
        <source>Get a better model…</source>
        <translation>获取更好的模型…</translation>
    </message>
    <message>
        <source>Try asking:</source>
        <translation>试着问：</translation>
    </message>
    <message>
        <source>The model is loading…</source>
        <translation>模型正在加载…</translation>
    </message>
    <message>
        <source>Answers come from {model}, the small demonstration model that comes with Wenji: it shows how Wenji works, not good answers. A better model runs on this computer too.</source>
        <translation>回答由 {model} 生成，这是文集自带的小型演示模型：它用来展示文集如何工作，回答质量不高。更好的模型同样可以在这台电脑上运行。</translation>
    </message>
    <message>
        <source>Answers come from {model}, on this computer.</source>
        <translation>回答由本机上的 {model} 生成。</translation>
    </message>
    <message>
        <source>Drop PDF or Markdown files or folders here</source>
        <translation>把 PDF 或 Markdown 文件或文件夹拖放到这里</translation>
    </message>
    <message>
        <source>Drop more files or folders here</source>
        <translation>把更多文件或文件夹拖放到这里</translation>
    </message>
    <message>
        <source>They are added to the team library: Wenji reads them on this computer, and everyone on the team can search them.</source>
        <translation>文件会加入团队文档库：文集在这台电脑上读取它们，团队里的每个人都能搜索。</translation>
    </message>
    <message>
        <source>They stay on this computer: Wenji reads them, splits them into passages and indexes them for questions.</source>
        <translation>文件只留在这台电脑上：文集读取它们，切分成段落并建立索引，供你提问。</translation>
    </message>
    <message>
        <source>This is your team&apos;s library: ask it anything. Your account can read it but not add to it.</source>
        <translation>这是团队的文档库，尽管提问。你的账户可以读取，但不能往里添加文档。</translation>
    </message>
    <message>
        <source>Summarize {name}</source>
        <translation>总结 {name}</translation>
    </message>
    <message>
        <source>List every date in {name}</source>
        <translation>列出 {name} 中所有的日期</translation>
    </message>
    <message>
        <source>Compare {a} and {b}</source>
        <translation>比较 {a} 和 {b}</translation>
    </message>
</context>
<context>
    <name>IngestProgressView</name>
    <message>
        <source>%v of %m files</source>
        <translation>%v / %m 个文件</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <source>Looking at {n} item(s)…</source>
        <translation>正在查看 {n} 项…</translation>
    </message>
    <message>
        <source>{file} — reading scanned page {done} of {total} (OCR, a few seconds a page)</source>
        <translation>{file} — 正在识别扫描页 {done} / {total}（OCR，每页需要几秒）</translation>
    </message>
    <message>
        <source>Checking {file}</source>
        <translation>正在检查 {file}</translation>
    </message>
    <message>
        <source>Checking files…</source>
        <translation>正在检查文件…</translation>
    </message>
    <message>
        <source>{file} — {done} of {total} chunks embedded</source>
        <translation>{file} — 已嵌入 {done}/{total} 个片段</translation>
    </message>
    <message>
        <source>{file} — {chunks} chunks embedded</source>
        <translation>{file} — 已嵌入 {chunks} 个片段</translation>
    </message>
    <message>
        <source>about {s} s left</source>
        <translation>约剩 {s} 秒</translation>
    </message>
    <message>
        <source>{chunks} chunks · {rate} chunks/s</source>
        <translation>{chunks} 个片段 · 每秒 {rate} 个</translation>
    </message>
    <message>
        <source>Cancelling…</source>
        <translation>正在取消…</translation>
    </message>
</context>
<context>
    <name>IngestSummary</name>
    <message>
        <source>Files not added</source>
        <translation>未添加的文件</translation>
    </message>
    <message>
        <source>File</source>
        <translation>文件</translation>
    </message>
    <message>
        <source>Result</source>
        <translation>结果</translation>
    </message>
    <message>
        <source>Reason</source>
        <translation>原因</translation>
    </message>
    <message>
        <source>{n} file(s) of the last run were not added to “{kb}”:</source>
        <translation>上次运行中有 {n} 个文件未添加到“{kb}”：</translation>
    </message>
    <message>
        <source>failed</source>
        <translation>失败</translation>
    </message>
    <message>
        <source>skipped</source>
        <translation>已跳过</translation>
    </message>
    <message>
        <source>cancelled</source>
        <translation>已取消</translation>
    </message>
</context>
<context>
    <name>LibraryPanel</name>
    <message>
        <source>The knowledge base the chat asks and new files go into</source>
        <translation>对话所查询、新文件所加入的知识库</translation>
    </message>
    <message>
        <source>Knowledge base</source>
        <translation>知识库</translation>
    </message>
    <message>
        <source>New…</source>
        <translation>新建…</translation>
    </message>
    <message>
        <source>Rename…</source>
        <translation>重命名…</translation>
    </message>
    <message>
        <source>Delete…</source>
        <translation>删除…</translation>
    </message>
    <message>
        <source>Documents</source>
        <translation>文档</translation>
    </message>
    <message>
        <source>Document</source>
        <translation>文档</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>状态</translation>
    </message>
    <message>
        <source>Pages</source>
        <translation>页数</translation>
    </message>
    <message>
        <source>Chunks</source>
        <translation>片段</translation>
    </message>
    <message>
        <source>Reason</source>
        <translation>原因</translation>
    </message>
    <message>
        <source>Ask about these</source>
        <translation>只问这些文档</translation>
    </message>
    <message>
        <source>Answer the chat&apos;s questions from the selected documents only</source>
        <translation>对话中的问题只根据所选文档回答</translation>
    </message>
    <message>
        <source>Summarize</source>
        <translation>总结</translation>
    </message>
    <message>
        <source>Compare</source>
        <translation>比较</translation>
    </message>
    <message>
        <source>Select two documents of one kind: their differing figures and sections</source>
        <translation>选择两份同类文档：比较其不同的数字和章节</translation>
    </message>
    <message>
        <source>Open</source>
        <translation>打开</translation>
    </message>
    <message>
        <source>Open with system viewer</source>
        <translation>用系统程序打开</translation>
    </message>
    <message>
        <source>Re-index</source>
        <translation>重新索引</translation>
    </message>
    <message>
        <source>Remove from knowledge base</source>
        <translation>从知识库中移除</translation>
    </message>
    <message>
        <source>Re-embed knowledge base</source>
        <translation>重新嵌入知识库</translation>
    </message>
    <message>
        <source>Embed every document of the knowledge base again with the current embedder</source>
        <translation>用当前向量模型重新嵌入知识库中的全部文档</translation>
    </message>
    <message>
        <source>Library:</source>
        <translation>文档库：</translation>
    </message>
    <message>
        <source>Knowledge base:</source>
        <translation>知识库：</translation>
    </message>
    <message>
        <source>Your account can read this team library but not change it (ask a writer or the server&apos;s administrator)</source>
        <translation>你的账户可以读取这个团队文档库，但不能修改（请找有编辑权限的同事或服务器管理员）</translation>
    </message>
    <message>
        <source>Team library · reader</source>
        <translation>团队文档库 · 只读</translation>
    </message>
    <message>
        <source>Team library · writer</source>
        <translation>团队文档库 · 可编辑</translation>
    </message>
    <message>
        <source>Reader</source>
        <translation>只读</translation>
    </message>
    <message>
        <source>Writer</source>
        <translation>可编辑</translation>
    </message>
    <message>
        <source>Server: {catalog} (passages), {vectors} (vectors)</source>
        <translation>服务器：{catalog}（段落），{vectors}（向量）</translation>
    </message>
    <message>
        <source>Team library · {server}</source>
        <translation>团队文档库 · {server}</translation>
    </message>
    <message>
        <source>The knowledge bases kept in this computer&apos;s data folder</source>
        <translation>保存在这台电脑数据文件夹中的知识库</translation>
    </message>
    <message>
        <source>Your account can add, remove and rename here: your team sees the changes</source>
        <translation>你的账户可以在这里添加、删除和重命名：团队里的每个人都会看到这些改动</translation>
    </message>
    <message>
        <source>Your account can search it but not change it.</source>
        <translation>你的账户可以搜索它，但不能修改。</translation>
    </message>
    <message>
        <source>Your account can search and change it.</source>
        <translation>你的账户可以搜索和修改它。</translation>
    </message>
    <message>
        <source>Shared with your team.</source>
        <translation>与团队共享。</translation>
    </message>
    <message>
        <source>Cannot read the library: {reason}</source>
        <translation>无法读取文档库：{reason}</translation>
    </message>
    <message>
        <source>shared</source>
        <translation>共享</translation>
    </message>
    <message>
        <source>re-embed</source>
        <translation>需重新嵌入</translation>
    </message>
    <message>
        <source>Embedded with {old}, not the current embedder {new}: right-click and choose “Re-embed knowledge base”</source>
        <translation>由 {old} 嵌入，而非当前向量模型 {new}：右键单击并选择“重新嵌入知识库”</translation>
    </message>
    <message>
        <source>Reading the team library…</source>
        <translation>正在读取团队文档库…</translation>
    </message>
    <message>
        <source>ready</source>
        <translation>就绪</translation>
    </message>
    <message>
        <source>failed</source>
        <translation>失败</translation>
    </message>
    <message>
        <source>pending</source>
        <translation>处理中</translation>
    </message>
    <message>
        <source>removing</source>
        <translation>正在移除</translation>
    </message>
    <message>
        <source>Ask this knowledge base</source>
        <translation>向此知识库提问</translation>
    </message>
    <message>
        <source>Export…</source>
        <translation>导出…</translation>
    </message>
    <message>
        <source>Cannot open {file}: the file no longer exists</source>
        <translation>无法打开 {file}：文件已不存在</translation>
    </message>
    <message>
        <source>Cannot open {file}: no program is set up to open it</source>
        <translation>无法打开 {file}：没有可打开它的程序</translation>
    </message>
    <message>
        <source>Remove {n} document(s) from the knowledge base: {names}?
The files on disk are not touched.</source>
        <translation>从知识库中移除 {n} 个文档：{names}？
磁盘上的文件不会被改动。</translation>
    </message>
    <message>
        <source>Removing {n} document(s)…</source>
        <translation>正在移除 {n} 个文档…</translation>
    </message>
    <message>
        <source>Could not remove: {problems}</source>
        <translation>无法移除：{problems}</translation>
    </message>
    <message>
        <source>Removed {n} document(s)</source>
        <translation>已移除 {n} 个文档</translation>
    </message>
    <message>
        <source>Library problem: {reason}</source>
        <translation>文档库出错：{reason}</translation>
    </message>
    <message>
        <source>New knowledge base</source>
        <translation>新建知识库</translation>
    </message>
    <message>
        <source>Library</source>
        <translation>文档库</translation>
    </message>
    <message>
        <source>This computer&apos;s library, or your team&apos;s on its server</source>
        <translation>这台电脑上的文档库，或团队服务器上的文档库</translation>
    </message>
    <message>
        <source>This computer</source>
        <translation>本机</translation>
    </message>
    <message>
        <source>Team library</source>
        <translation>团队文档库</translation>
    </message>
    <message>
        <source>Name:</source>
        <translation>名称：</translation>
    </message>
    <message>
        <source>Created the knowledge base {name}</source>
        <translation>已创建知识库 {name}</translation>
    </message>
    <message>
        <source>Rename knowledge base</source>
        <translation>重命名知识库</translation>
    </message>
    <message>
        <source>New name for {name}:</source>
        <translation>{name} 的新名称：</translation>
    </message>
    <message>
        <source>Renamed {old} to {new}</source>
        <translation>已将 {old} 重命名为 {new}</translation>
    </message>
    <message>
        <source>Delete knowledge base</source>
        <translation>删除知识库</translation>
    </message>
    <message>
        <source>Delete the knowledge base {name} and its index? The files on disk are not touched.</source>
        <translation>删除知识库 {name} 及其索引？磁盘上的文件不会被改动。</translation>
    </message>
    <message>
        <source>Deleted the knowledge base {name}</source>
        <translation>已删除知识库 {name}</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <source>Wenji 文集</source>
        <translation>文集 Wenji</translation>
    </message>
    <message>
        <source>Drop PDF or Markdown files or folders anywhere on this window; drop a .gguf file to add a model.</source>
        <translation>将 PDF 或 Markdown 文件或文件夹拖放到此窗口任意位置；拖入 .gguf 文件可添加模型。</translation>
    </message>
    <message>
        <source>Library</source>
        <translation>文档库</translation>
    </message>
    <message>
        <source>Conversations</source>
        <translation>对话</translation>
    </message>
    <message>
        <source>Starting…</source>
        <translation>正在启动…</translation>
    </message>
    <message>
        <source>Add files…</source>
        <translation>添加文件…</translation>
    </message>
    <message>
        <source>Add folder…</source>
        <translation>添加文件夹…</translation>
    </message>
    <message>
        <source>Add model…</source>
        <translation>添加模型…</translation>
    </message>
    <message>
        <source>Add a GGUF chat model file and switch to it</source>
        <translation>添加 GGUF 对话模型文件并切换到它</translation>
    </message>
    <message>
        <source>Get models…</source>
        <translation>获取模型…</translation>
    </message>
    <message>
        <source>Download a better chat model from the catalog</source>
        <translation>从模型目录下载更好的对话模型</translation>
    </message>
    <message>
        <source>New chat</source>
        <translation>新建对话</translation>
    </message>
    <message>
        <source>Export chat…</source>
        <translation>导出对话…</translation>
    </message>
    <message>
        <source>Type a question</source>
        <translation>输入问题</translation>
    </message>
    <message>
        <source>Settings…</source>
        <translation>设置…</translation>
    </message>
    <message>
        <source>Open data folder</source>
        <translation>打开数据文件夹</translation>
    </message>
    <message>
        <source>Export knowledge base…</source>
        <translation>导出知识库…</translation>
    </message>
    <message>
        <source>Write the current knowledge base to one file, to move or share it</source>
        <translation>把当前知识库写入一个文件，以便迁移或分享</translation>
    </message>
    <message>
        <source>Import knowledge base…</source>
        <translation>导入知识库…</translation>
    </message>
    <message>
        <source>Quit</source>
        <translation>退出</translation>
    </message>
    <message>
        <source>About Wenji</source>
        <translation>关于文集</translation>
    </message>
    <message>
        <source>Keyboard shortcuts</source>
        <translation>键盘快捷键</translation>
    </message>
    <message>
        <source>Main</source>
        <translation>主工具栏</translation>
    </message>
    <message>
        <source> Model: </source>
        <translation> 模型：</translation>
    </message>
    <message>
        <source>Chat model</source>
        <translation>对话模型</translation>
    </message>
    <message>
        <source>&amp;File</source>
        <translation>文件(&amp;F)</translation>
    </message>
    <message>
        <source>&amp;Chat</source>
        <translation>对话(&amp;C)</translation>
    </message>
    <message>
        <source>&amp;Models</source>
        <translation>模型(&amp;M)</translation>
    </message>
    <message>
        <source>&amp;Help</source>
        <translation>帮助(&amp;H)</translation>
    </message>
    <message>
        <source>Library and conversations</source>
        <translation>文档库和对话</translation>
    </message>
    <message>
        <source>Opening the library…</source>
        <translation>正在打开资料库…</translation>
    </message>
    <message>
        <source>Connecting to the team library…</source>
        <translation>正在连接团队文档库…</translation>
    </message>
    <message>
        <source>Loading the embedding model…</source>
        <translation>正在加载嵌入模型…</translation>
    </message>
    <message>
        <source>Preparing the embedding model for this computer (once, about a minute)…</source>
        <translation>正在为本机准备嵌入模型（仅首次，约一分钟）…</translation>
    </message>
    <message>
        <source>Loading the chat model…</source>
        <translation>正在加载对话模型…</translation>
    </message>
    <message>
        <source>Ready</source>
        <translation>就绪</translation>
    </message>
    <message>
        <source>{folder} changed: {added} added, {updated} updated, {moved} moved, {removed} removed, {failed} not read</source>
        <translation>{folder} 有变化：新增 {added}，更新 {updated}，移动 {moved}，移除 {removed}，{failed} 个未能读取</translation>
    </message>
    <message>
        <source>Start-up problem: {reason}</source>
        <translation>启动出错：{reason}</translation>
    </message>
    <message>
        <source>Wenji</source>
        <translation>文集</translation>
    </message>
    <message>
        <source>Wenji 文集 answers questions from your own PDF and Markdown documents, offline, with page-level citations.

Data folder: {home}</source>
        <translation>文集 Wenji 离线回答关于你自己的 PDF 和 Markdown 文档的问题，并给出精确到页的引用。

数据文件夹：{home}</translation>
    </message>
    <message>
        <source>Now showing: {library}</source>
        <translation>当前显示：{library}</translation>
    </message>
    <message>
        <source>Cannot open the library: {reason}</source>
        <translation>无法打开文档库：{reason}</translation>
    </message>
    <message>
        <source>Cannot open the team library: {reason}</source>
        <translation>无法打开团队文档库：{reason}</translation>
    </message>
    <message>
        <source>This computer&apos;s library stays open.</source>
        <translation>这台电脑上的文档库仍可照常使用。</translation>
    </message>
    <message>
        <source>Drop PDF or Markdown files or folders on this window to add them to the team library: everyone on the team can search them.</source>
        <translation>把 PDF 或 Markdown 文件或文件夹拖到此窗口，即可加入团队文档库：团队里的每个人都能搜索。</translation>
    </message>
    <message>
        <source>Questions now go to the knowledge base {name}</source>
        <translation>现在向知识库 {name} 提问</translation>
    </message>
    <message>
        <source>The knowledge base “{kb}” was built with the embedder {old}; Wenji now uses {new}. It is still searched with {old}: re-embed it to use {new} and to add files to it.</source>
        <translation>知识库“{kb}”是用向量模型 {old} 建立的，文集现在使用 {new}。检索时仍使用 {old}；重新嵌入后才会改用 {new}，并可向其中添加文件。</translation>
    </message>
    <message>
        <source>The knowledge base “{kb}” was built with the embedder {old}, but Wenji now uses {new}: it cannot be searched until it is re-embedded.</source>
        <translation>知识库“{kb}”是用向量模型 {old} 建立的，而文集现在使用 {new}：重新嵌入之前无法检索它。</translation>
    </message>
    <message>
        <source>Some documents in “{kb}” are still embedded with {old}, not {new}: re-embed to finish.</source>
        <translation>“{kb}”中的部分文档仍由 {old} 而非 {new} 嵌入：请重新嵌入以完成切换。</translation>
    </message>
    <message>
        <source>Cannot re-embed {kb}: {reason}</source>
        <translation>无法重新嵌入 {kb}：{reason}</translation>
    </message>
    <message>
        <source>Re-embedding {kb} with {embedder}…</source>
        <translation>正在用 {embedder} 重新嵌入 {kb}…</translation>
    </message>
    <message>
        <source>Re-embedded {kb} with {embedder}: {updated} document(s) updated, {unchanged} unchanged</source>
        <translation>已用 {embedder} 重新嵌入 {kb}：更新 {updated} 个文档，{unchanged} 个未变</translation>
    </message>
    <message>
        <source>Re-embedding {kb} failed: {reason}</source>
        <translation>重新嵌入 {kb} 失败：{reason}</translation>
    </message>
    <message>
        <source>The knowledge base “{kb}” was built with the embedder {old}, not the current {new}, so it cannot be searched. Re-embed it first: click “Re-embed now” above the chat, or right-click it in the library and choose “Re-embed knowledge base”.</source>
        <translation>知识库“{kb}”是用向量模型 {old} 而非当前的 {new} 建立的，因此无法检索。请先重新嵌入：点击对话上方的“立即重新嵌入”，或在文档库中右键单击它并选择“重新嵌入知识库”。</translation>
    </message>
    <message>
        <source>An answer is still being written…</source>
        <translation>仍在写上一个回答…</translation>
    </message>
    <message>
        <source>Summarize {name}</source>
        <translation>总结 {name}</translation>
    </message>
    <message>
        <source>Compare {a} and {b}</source>
        <translation>比较 {a} 和 {b}</translation>
    </message>
    <message>
        <source>Add documents</source>
        <translation>添加文档</translation>
    </message>
    <message>
        <source>Documents (*.pdf *.md *.markdown);;All files (*)</source>
        <translation>文档 (*.pdf *.md *.markdown);;所有文件 (*)</translation>
    </message>
    <message>
        <source>Add a folder</source>
        <translation>添加文件夹</translation>
    </message>
    <message>
        <source>Still adding the previous files; try again after.</source>
        <translation>仍在添加之前的文件，请稍后再试。</translation>
    </message>
    <message>
        <source>Adding {n} item(s) to {kb}…</source>
        <translation>正在将 {n} 项添加到 {kb}…</translation>
    </message>
    <message>
        <source>Choose “Sign in…” to enter a new password or token.</source>
        <translation>请选择“登录…”输入新的密码或令牌。</translation>
    </message>
    <message>
        <source>(In scripts: “wenji server login” keeps them on this computer.)</source>
        <translation>（在脚本中：“wenji server login”会把它们保存在这台电脑上。）</translation>
    </message>
    <message>
        <source>Sign in…</source>
        <translation>登录…</translation>
    </message>
    <message>
        <source>Not signed in: this computer&apos;s library stays open.</source>
        <translation>未登录：这台电脑上的文档库仍可照常使用。</translation>
    </message>
    <message>
        <source>Signed in to the team library; the password and token are kept in this computer&apos;s keyring.</source>
        <translation>已登录团队文档库；密码和令牌已保存在这台电脑的钥匙串中。</translation>
    </message>
    <message>
        <source>Signed in to the team library; kept for this session only: this computer has no keyring Wenji can use, so Wenji asks again after a restart.</source>
        <translation>已登录团队文档库；仅在本次运行期间保留：这台电脑上没有 Wenji 可用的钥匙串，因此重新启动后 Wenji 会再次询问。</translation>
    </message>
    <message>
        <source>Cancelling; files already added are kept…</source>
        <translation>正在取消；已添加的文件会保留…</translation>
    </message>
    <message>
        <source>Added {added}, updated {updated}, unchanged {unchanged}</source>
        <translation>新增 {added}，更新 {updated}，未变 {unchanged}</translation>
    </message>
    <message>
        <source> (cancelled)</source>
        <translation>（已取消）</translation>
    </message>
    <message>
        <source>; {n} not added: </source>
        <translation>；{n} 个未添加：</translation>
    </message>
    <message>
        <source>Adding files failed: {reason}</source>
        <translation>添加文件失败：{reason}</translation>
    </message>
    <message>
        <source>This version cannot reopen saved chats yet</source>
        <translation>此版本尚不能重新打开已保存的对话</translation>
    </message>
    <message>
        <source>Cannot open the conversation: {reason}</source>
        <translation>无法打开对话：{reason}</translation>
    </message>
    <message>
        <source>Nothing to export yet: ask a question first</source>
        <translation>还没有可导出的内容：请先提问</translation>
    </message>
    <message>
        <source>{name} · {params} · {quant} · context {ctx} · {size}</source>
        <translation>{name} · {params} · {quant} · 上下文 {ctx} · {size}</translation>
    </message>
    <message>
        <source>{name} (unusable: {reason})</source>
        <translation>{name}（不可用：{reason}）</translation>
    </message>
    <message>
        <source>Add a model</source>
        <translation>添加模型</translation>
    </message>
    <message>
        <source>GGUF models (*.gguf)</source>
        <translation>GGUF 模型 (*.gguf)</translation>
    </message>
    <message>
        <source>Adding the model {file}…</source>
        <translation>正在添加模型 {file}…</translation>
    </message>
    <message>
        <source>Added the model {file}</source>
        <translation>已添加模型 {file}</translation>
    </message>
    <message>
        <source>Cannot add the model {file}: {reason}</source>
        <translation>无法添加模型 {file}：{reason}</translation>
    </message>
    <message>
        <source>Add model</source>
        <translation>添加模型</translation>
    </message>
    <message>
        <source>Cannot show the model catalog: {reason}</source>
        <translation>无法显示模型目录：{reason}</translation>
    </message>
    <message>
        <source>Get models</source>
        <translation>获取模型</translation>
    </message>
    <message>
        <source>A model is still loading…</source>
        <translation>仍有模型在加载…</translation>
    </message>
    <message>
        <source>Loading {name}…</source>
        <translation>正在加载 {name}…</translation>
    </message>
    <message>
        <source>Model ready: {name}</source>
        <translation>模型已就绪：{name}</translation>
    </message>
    <message>
        <source>; still using {name}</source>
        <translation>；仍在使用 {name}</translation>
    </message>
    <message>
        <source>Could not load the model: {reason}</source>
        <translation>无法加载模型：{reason}</translation>
    </message>
    <message>
        <source>Model</source>
        <translation>模型</translation>
    </message>
    <message>
        <source>Settings saved to {file}</source>
        <translation>设置已保存到 {file}</translation>
    </message>
    <message>
        <source>; restart Wenji to use the new {what}</source>
        <translation>；重启文集后才会使用新的{what}</translation>
    </message>
    <message>
        <source> and </source>
        <translation>和</translation>
    </message>
    <message>
        <source>Settings</source>
        <translation>设置</translation>
    </message>
</context>
<context>
    <name>ModelCatalogDialog</name>
    <message>
        <source>Get models</source>
        <translation>获取模型</translation>
    </message>
    <message>
        <source>Instruction-tuned models that answer from your documents. This computer has {ram} of memory{gpu}. Downloading is the only time Wenji uses the network; it comes from {source}.</source>
        <translation>能根据你的文档回答问题的指令微调模型。本机有 {ram} 内存{gpu}。下载是文集唯一使用网络的时候，来源：{source}。</translation>
    </message>
    <message>
        <source> and no GPU offload</source>
        <translation>，没有 GPU 加速</translation>
    </message>
    <message>
        <source>Hugging Face (or the mirror in HF_ENDPOINT)</source>
        <translation>Hugging Face（或 HF_ENDPOINT 指定的镜像）</translation>
    </message>
    <message>
        <source>Models to download</source>
        <translation>可下载的模型</translation>
    </message>
    <message>
        <source>Model</source>
        <translation>模型</translation>
    </message>
    <message>
        <source>Size</source>
        <translation>大小</translation>
    </message>
    <message>
        <source>Languages</source>
        <translation>语言</translation>
    </message>
    <message>
        <source>Fits this computer</source>
        <translation>适合本机</translation>
    </message>
    <message>
        <source>Speed here</source>
        <translation>本机速度</translation>
    </message>
    <message>
        <source>Licence</source>
        <translation>许可证</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>状态</translation>
    </message>
    <message>
        <source>Download progress</source>
        <translation>下载进度</translation>
    </message>
    <message>
        <source>Download</source>
        <translation>下载</translation>
    </message>
    <message>
        <source>Pause</source>
        <translation>暂停</translation>
    </message>
    <message>
        <source>Cancel download</source>
        <translation>取消下载</translation>
    </message>
    <message>
        <source>Use this model</source>
        <translation>使用此模型</translation>
    </message>
    <message>
        <source>Close</source>
        <translation>关闭</translation>
    </message>
    <message>
        <source>✓ fits</source>
        <translation>✓ 合适</translation>
    </message>
    <message>
        <source>tight</source>
        <translation>勉强</translation>
    </message>
    <message>
        <source>✗ too big</source>
        <translation>✗ 太大</translation>
    </message>
    <message>
        <source>fast</source>
        <translation>快</translation>
    </message>
    <message>
        <source>moderate</source>
        <translation>中等</translation>
    </message>
    <message>
        <source>slow</source>
        <translation>慢</translation>
    </message>
    <message>
        <source>very slow</source>
        <translation>很慢</translation>
    </message>
    <message>
        <source>downloaded</source>
        <translation>已下载</translation>
    </message>
    <message>
        <source>downloading…</source>
        <translation>下载中…</translation>
    </message>
    <message>
        <source>paused at {size}</source>
        <translation>已暂停于 {size}</translation>
    </message>
    <message>
        <source>  · reasoning</source>
        <translation>  · 推理模型</translation>
    </message>
    <message>
        <source>{notes} — {params:.1f}B parameters, {quant}, context {ctx:,} tokens; {fit}. From {repo}.</source>
        <translation>{notes} — {params:.1f}B 参数，{quant}，上下文 {ctx:,} 词元；{fit}。来自 {repo}。</translation>
    </message>
    <message>
        <source>Resume</source>
        <translation>继续</translation>
    </message>
    <message>
        <source>needs about {needed} of {total} memory</source>
        <translation>约需 {needed}（共 {total} 内存）</translation>
    </message>
    <message>
        <source>{h} h {m} min</source>
        <translation>{h} 小时 {m} 分</translation>
    </message>
    <message>
        <source>{m} min {s} s</source>
        <translation>{m} 分 {s} 秒</translation>
    </message>
    <message>
        <source>{s} s</source>
        <translation>{s} 秒</translation>
    </message>
    <message>
        <source>Connecting to {source}…</source>
        <translation>正在连接 {source}…</translation>
    </message>
    <message>
        <source>Pausing…</source>
        <translation>正在暂停…</translation>
    </message>
    <message>
        <source>Cancelling…</source>
        <translation>正在取消…</translation>
    </message>
    <message>
        <source>Deleted the paused download of {name}.</source>
        <translation>已删除 {name} 暂停的下载。</translation>
    </message>
    <message>
        <source>, {time} left</source>
        <translation>，剩余 {time}</translation>
    </message>
    <message>
        <source>{done} of {total} · {rate}/s{left}</source>
        <translation>{done} / {total} · {rate}/秒{left}</translation>
    </message>
    <message>
        <source>Checking the file against the hub&apos;s checksum…</source>
        <translation>正在用模型库给出的校验和核对文件…</translation>
    </message>
    <message>
        <source>{name} is downloaded and checked. Use it now, or pick it later in the model list.</source>
        <translation>{name} 已下载并校验。现在就用，或稍后在模型列表中选择。</translation>
    </message>
    <message>
        <source>Paused; the part downloaded is kept. Resume at any time, also after restarting Wenji.</source>
        <translation>已暂停；已下载的部分会保留。随时可以继续，重启文集后也可以。</translation>
    </message>
    <message>
        <source>Download cancelled; the partial file was deleted.</source>
        <translation>下载已取消；未完成的文件已删除。</translation>
    </message>
    <message>
        <source>Download failed: {reason}</source>
        <translation>下载失败：{reason}</translation>
    </message>
</context>
<context>
    <name>QuestionBubble</name>
    <message>
        <source>Your question: {text}</source>
        <translation>你的问题：{text}</translation>
    </message>
</context>
<context>
    <name>ReembedBar</name>
    <message>
        <source>Re-embed now</source>
        <translation>立即重新嵌入</translation>
    </message>
</context>
<context>
    <name>SettingsDialog</name>
    <message>
        <source>Settings</source>
        <translation>设置</translation>
    </message>
    <message>
        <source>Open folder</source>
        <translation>打开文件夹</translation>
    </message>
    <message>
        <source>Data folder</source>
        <translation>数据文件夹</translation>
    </message>
    <message>
        <source>Read scanned PDF pages with OCR (a few seconds a page)</source>
        <translation>用 OCR 识别扫描的 PDF 页面（每页需要几秒）</translation>
    </message>
    <message>
        <source>Documents (applies to files added from now on)</source>
        <translation>文档（对此后添加的文件生效）</translation>
    </message>
    <message>
        <source>Chunk size (tokens):</source>
        <translation>片段大小（词元）：</translation>
    </message>
    <message>
        <source>Chunk overlap (fraction):</source>
        <translation>片段重叠（比例）：</translation>
    </message>
    <message>
        <source>OCR pages per document at most:</source>
        <translation>每个文档最多 OCR 页数：</translation>
    </message>
    <message>
        <source>adaptive (recommended)</source>
        <translation>自适应（推荐）</translation>
    </message>
    <message>
        <source>reciprocal rank fusion</source>
        <translation>倒数排名融合（RRF）</translation>
    </message>
    <message>
        <source>keywords only</source>
        <translation>仅关键词</translation>
    </message>
    <message>
        <source>embeddings only</source>
        <translation>仅向量</translation>
    </message>
    <message>
        <source>none (a folder with a cross-encoder model)</source>
        <translation>无（交叉编码器模型所在文件夹）</translation>
    </message>
    <message>
        <source>Search (applies to the next question)</source>
        <translation>检索（对下一个问题生效）</translation>
    </message>
    <message>
        <source>Passages per answer (top-k):</source>
        <translation>每个回答的段落数（top-k）：</translation>
    </message>
    <message>
        <source>Ranking:</source>
        <translation>排序方式：</translation>
    </message>
    <message>
        <source>Reranker folder:</source>
        <translation>重排序模型文件夹：</translation>
    </message>
    <message>
        <source>Minimum relevance:</source>
        <translation>最低相关度：</translation>
    </message>
    <message>
        <source>automatic</source>
        <translation>自动</translation>
    </message>
    <message>
        <source>Model {name}</source>
        <translation>模型 {name}</translation>
    </message>
    <message>
        <source>Model (none loaded)</source>
        <translation>模型（未加载）</translation>
    </message>
    <message>
        <source>Context length (tokens):</source>
        <translation>上下文长度（词元）：</translation>
    </message>
    <message>
        <source>GPU layers:</source>
        <translation>GPU 层数：</translation>
    </message>
    <message>
        <source>Temperature:</source>
        <translation>温度：</translation>
    </message>
    <message>
        <source>Saved settings cannot be read: {reason}</source>
        <translation>无法读取已保存的设置：{reason}</translation>
    </message>
    <message>
        <source>Other folder…</source>
        <translation>其他文件夹…</translation>
    </message>
    <message>
        <source>Embedder folder</source>
        <translation>向量模型文件夹</translation>
    </message>
    <message>
        <source>a sentence-transformers model folder</source>
        <translation>sentence-transformers 模型文件夹</translation>
    </message>
    <message>
        <source>System</source>
        <translation>跟随系统</translation>
    </message>
    <message>
        <source>Light</source>
        <translation>浅色</translation>
    </message>
    <message>
        <source>Dark</source>
        <translation>深色</translation>
    </message>
    <message>
        <source>Embedder:</source>
        <translation>向量模型：</translation>
    </message>
    <message>
        <source>ONNX fp32 (exact)</source>
        <translation>ONNX fp32（精确）</translation>
    </message>
    <message>
        <source>Multilingual + English (default)</source>
        <translation>多语言 + 英文（默认）</translation>
    </message>
    <message>
        <source>English only (fastest)</source>
        <translation>仅英文（最快）</translation>
    </message>
    <message>
        <source>Multilingual only</source>
        <translation>仅多语言</translation>
    </message>
    <message>
        <source>The default reads Chinese and English, and finds answers across the two; English only adds files about twice as fast.</source>
        <translation>默认模型可读中文和英文，并能跨语言查找答案；“仅英文”添加文件约快一倍。</translation>
    </message>
    <message>
        <source>A knowledge base built with another embedder is re-embedded before new files go in; until then a bundled one still searches it.</source>
        <translation>用其他向量模型建立的知识库需重新嵌入后才能添加新文件；在此之前，若该模型为内置模型，仍可用它检索。</translation>
    </message>
    <message>
        <source>ONNX int8 (fastest)</source>
        <translation>ONNX int8（最快）</translation>
    </message>
    <message>
        <source>PyTorch fp32</source>
        <translation>PyTorch fp32</translation>
    </message>
    <message>
        <source>Embedder and language (apply after a restart)</source>
        <translation>向量模型与语言（重启后生效）</translation>
    </message>
    <message>
        <source>Embedder runtime:</source>
        <translation>向量模型运行方式：</translation>
    </message>
    <message>
        <source>Interface language:</source>
        <translation>界面语言：</translation>
    </message>
    <message>
        <source>Hugging Face; or a mirror such as https://hf-mirror.com</source>
        <translation>Hugging Face；或镜像，例如 https://hf-mirror.com</translation>
    </message>
    <message>
        <source>Model downloads from:</source>
        <translation>模型下载来源：</translation>
    </message>
    <message>
        <source>Appearance (applies at once)</source>
        <translation>外观（立即生效）</translation>
    </message>
    <message>
        <source>Theme:</source>
        <translation>主题：</translation>
    </message>
    <message>
        <source>Browse…</source>
        <translation>浏览…</translation>
    </message>
    <message>
        <source>Choose a folder</source>
        <translation>选择文件夹</translation>
    </message>
    <message>
        <source>choose the embedder&apos;s folder, or one of the bundled embedders</source>
        <translation>请选择向量模型文件夹，或选择一个内置向量模型</translation>
    </message>
    <message>
        <source>Not saved: {problem}</source>
        <translation>未保存：{problem}</translation>
    </message>
    <message>
        <source>embedder</source>
        <translation>向量模型</translation>
    </message>
    <message>
        <source>language</source>
        <translation>界面语言</translation>
    </message>
</context>
<context>
    <name>ShortcutsDialog</name>
    <message>
        <source>Send the question</source>
        <translation>发送问题</translation>
    </message>
    <message>
        <source>New line in the question</source>
        <translation>在问题中换行</translation>
    </message>
    <message>
        <source>Stop the answer</source>
        <translation>停止回答</translation>
    </message>
    <message>
        <source>Copy the last answer</source>
        <translation>复制最后一个回答</translation>
    </message>
    <message>
        <source>Keyboard shortcuts</source>
        <translation>键盘快捷键</translation>
    </message>
    <message>
        <source>Action</source>
        <translation>操作</translation>
    </message>
    <message>
        <source>Keys</source>
        <translation>按键</translation>
    </message>
</context>
<context>
    <name>SignInDialog</name>
    <message>
        <source>Sign in to the team library</source>
        <translation>登录团队文档库</translation>
    </message>
    <message>
        <source>Password</source>
        <translation>密码</translation>
    </message>
    <message>
        <source>Your password on the catalog server</source>
        <translation>你在目录服务器上的密码</translation>
    </message>
    <message>
        <source>Token</source>
        <translation>令牌</translation>
    </message>
    <message>
        <source>Your token for the vector server</source>
        <translation>你在向量服务器上的令牌</translation>
    </message>
    <message>
        <source>Account:</source>
        <translation>账户：</translation>
    </message>
    <message>
        <source>Server:</source>
        <translation>服务器：</translation>
    </message>
    <message>
        <source>Vector server:</source>
        <translation>向量服务器：</translation>
    </message>
    <message>
        <source>&amp;Password:</source>
        <translation>密码(&amp;P)：</translation>
    </message>
    <message>
        <source>&amp;Token:</source>
        <translation>令牌(&amp;T)：</translation>
    </message>
    <message>
        <source>Leave a field empty to keep the one Wenji has. Once the server accepts them, they are kept in this computer&apos;s keyring (or, without one, until Wenji closes).</source>
        <translation>留空的一栏将沿用 Wenji 已有的值。服务器接受后，它们会保存在这台电脑的钥匙串中（如果没有钥匙串，则保留到 Wenji 关闭为止）。</translation>
    </message>
    <message>
        <source>In scripts: “wenji server login” keeps them on this computer, or set WENJI_SHARED_PASSWORD and WENJI_SHARED_TOKEN.</source>
        <translation>在脚本中：用“wenji server login”把它们保存在这台电脑上，或设置 WENJI_SHARED_PASSWORD 和 WENJI_SHARED_TOKEN。</translation>
    </message>
    <message>
        <source>Sign in</source>
        <translation>登录</translation>
    </message>
    <message>
        <source>Keep this computer&apos;s library</source>
        <translation>继续使用本机文档库</translation>
    </message>
</context>
<context>
    <name>SourceViewer</name>
    <message>
        <source>Click a citation or a source to see it here.</source>
        <translation>点击引用或来源即可在此查看。</translation>
    </message>
    <message>
        <source>Open with system viewer</source>
        <translation>用系统查看器打开</translation>
    </message>
    <message>
        <source>the file is missing (moved, renamed or deleted since it was added)</source>
        <translation>文件不见了（添加后被移动、重命名或删除）</translation>
    </message>
    <message>
        <source>cannot read the file: %1</source>
        <translation>无法读取文件：%1</translation>
    </message>
    <message>
        <source>Cannot show %1: %2</source>
        <translation>无法显示 %1：%2</translation>
    </message>
    <message>
        <source>page %1</source>
        <translation>第 %1 页</translation>
    </message>
</context>
<context>
    <name>SourcesPanel</name>
    <message>
        <source>Sources</source>
        <translation>来源</translation>
    </message>
    <message>
        <source>Passages of the answer</source>
        <translation>回答的段落</translation>
    </message>
    <message>
        <source>The selected passage and why it was chosen</source>
        <translation>选中的段落及其入选原因</translation>
    </message>
    <message>
        <source>Show in document</source>
        <translation>在文档中显示</translation>
    </message>
    <message>
        <source>Open the selected passage in its document (Enter or double-click on a card)</source>
        <translation>在文档中打开选中的段落（Enter 或双击卡片）</translation>
    </message>
    <message>
        <source>Not in your documents — the closest passages:</source>
        <translation>你的文档中没有答案——最接近的段落：</translation>
    </message>
    <message>
        <source>No sources</source>
        <translation>无来源</translation>
    </message>
    <message numerus="yes">
        <source>Sources of the answer (%n passage(s))</source>
        <translation>
            <numerusform>回答的来源（%n 个段落）</numerusform>
        </translation>
    </message>
    <message>
        <source>Source %1: %2, %3</source>
        <translation>来源 %1：%2，%3</translation>
    </message>
    <message>
        <source>page %1</source>
        <translation>第 %1 页</translation>
    </message>
    <message>
        <source>  ✓ quoted</source>
        <translation>  ✓ 已引用原文</translation>
    </message>
    <message>
        <source>  ✓ cited (inferred)</source>
        <translation>  ✓ 已引用（推断）</translation>
    </message>
    <message>
        <source>  ✓ cited</source>
        <translation>  ✓ 已引用</translation>
    </message>
    <message>
        <source>✓ quoted</source>
        <translation>✓ 已引述</translation>
    </message>
    <message>
        <source>✓ inferred</source>
        <translation>✓ 推断引用</translation>
    </message>
    <message>
        <source>✓ cited</source>
        <translation>✓ 已引用</translation>
    </message>
    <message>
        <source>keyword #%1</source>
        <translation>关键词 #%1</translation>
    </message>
    <message>
        <source>not found by this search</source>
        <translation>此检索未找到</translation>
    </message>
    <message>
        <source>rank %1, BM25 score %2</source>
        <translation>排名 %1，BM25 得分 %2</translation>
    </message>
    <message>
        <source>rank %1, cosine distance %2</source>
        <translation>排名 %1，余弦距离 %2</translation>
    </message>
    <message>
        <source>no</source>
        <translation>否</translation>
    </message>
    <message>
        <source>quoted (this passage&apos;s sentence closest to the question is quoted with the answer)</source>
        <translation>引用原文（回答中引用了这段资料里最接近问题的一句）</translation>
    </message>
    <message>
        <source>inferred (the answer did not write [%1]; its sentence matches this passage)</source>
        <translation>推断（回答未写出 [%1]，但其句子与此段相符）</translation>
    </message>
    <message>
        <source>yes, the answer writes [%1]</source>
        <translation>是，回答写出了 [%1]</translation>
    </message>
    <message>
        <source>Keyword search</source>
        <translation>关键词检索</translation>
    </message>
    <message>
        <source>Searched in (named in the question)</source>
        <translation>检索范围（问题中提到的文档）</translation>
    </message>
    <message>
        <source>read by OCR from a scanned page</source>
        <translation>由 OCR 从扫描页识别</translation>
    </message>
    <message>
        <source>Embedding search</source>
        <translation>向量检索</translation>
    </message>
    <message>
        <source>meaning #%1</source>
        <translation>语义 #%1</translation>
    </message>
    <message>
        <source>Fused score</source>
        <translation>融合得分</translation>
    </message>
    <message>
        <source>Cited</source>
        <translation>已引用</translation>
    </message>
    <message>
        <source>Matched words</source>
        <translation>匹配的词</translation>
    </message>
</context>
<context>
    <name>WatchedFoldersView</name>
    <message>
        <source>Watched folders</source>
        <translation>监视的文件夹</translation>
    </message>
    <message>
        <source>Folder</source>
        <translation>文件夹</translation>
    </message>
    <message>
        <source>Knowledge base</source>
        <translation>知识库</translation>
    </message>
    <message>
        <source>State</source>
        <translation>状态</translation>
    </message>
    <message>
        <source>not found</source>
        <translation>找不到</translation>
    </message>
    <message>
        <source>error</source>
        <translation>出错</translation>
    </message>
    <message>
        <source>updating {done} of {total}</source>
        <translation>正在更新 {done}/{total}</translation>
    </message>
    <message>
        <source>up to date</source>
        <translation>已是最新</translation>
    </message>
    <message>
        <source>updating…</source>
        <translation>正在更新…</translation>
    </message>
    <message>
        <source>checking…</source>
        <translation>正在检查…</translation>
    </message>
    <message>
        <source>paused</source>
        <translation>已暂停</translation>
    </message>
    <message>
        <source>{n} not read</source>
        <translation>{n} 个未能读取</translation>
    </message>
    <message>
        <source>polled</source>
        <translation>定时检查</translation>
    </message>
    <message>
        <source>The folder is not there (deleted, renamed, or on a drive that is not connected). Its documents are kept, and it is checked again when it is back.</source>
        <translation>文件夹不在了（已删除、已改名，或所在的驱动器未连接）。其中的文档仍保留，文件夹回来后会重新检查。</translation>
    </message>
    <message>
        <source>Changes on this drive send no events: it is checked every so often instead.</source>
        <translation>这个驱动器上的改动不会发出通知，因此改为每隔一段时间检查一次。</translation>
    </message>
    <message>
        <source>Pause watching</source>
        <translation>暂停监视</translation>
    </message>
    <message>
        <source>Check now</source>
        <translation>立即检查</translation>
    </message>
    <message>
        <source>Resume watching</source>
        <translation>恢复监视</translation>
    </message>
    <message>
        <source>Stop watching (documents stay)</source>
        <translation>停止监视（文档保留）</translation>
    </message>
    <message>
        <source>Paused watching {folder}</source>
        <translation>已暂停监视 {folder}</translation>
    </message>
    <message>
        <source>Watching {folder} again</source>
        <translation>重新开始监视 {folder}</translation>
    </message>
    <message>
        <source>No longer watching {folder}; its documents stay</source>
        <translation>已停止监视 {folder}，其中的文档保留</translation>
    </message>
</context>
<context>
    <name>reasons</name>
    <message>
        <source>unsupported file type &apos;{suffix}&apos;: Wenji reads PDF and Markdown</source>
        <translation>不支持的文件类型“{suffix}”：文集只读取 PDF 和 Markdown</translation>
    </message>
    <message>
        <source>unsupported file type &apos;{suffix}&apos;</source>
        <translation>不支持的文件类型“{suffix}”</translation>
    </message>
    <message>
        <source>file not found (deleted or moved before it was read)</source>
        <translation>找不到文件（读取之前已被删除或移动）</translation>
    </message>
    <message>
        <source>cannot read the file: Permission denied</source>
        <translation>无法读取文件：没有权限</translation>
    </message>
    <message>
        <source>cannot read the file: Is a directory</source>
        <translation>无法读取文件：这是一个文件夹</translation>
    </message>
    <message>
        <source>cannot read the file: {error}</source>
        <translation>无法读取文件（技术细节：{error}）</translation>
    </message>
    <message>
        <source>empty file (0 bytes)</source>
        <translation>空文件（0 字节）</translation>
    </message>
    <message>
        <source>file is {size_mb} MB, over the {limit_mb} MB limit (setting ingest.max_file_mb)</source>
        <translation>文件大小为 {size_mb} MB，超过了 {limit_mb} MB 的上限（设置项 ingest.max_file_mb）</translation>
    </message>
    <message>
        <source>binary data, not text (is it really Markdown?)</source>
        <translation>是二进制数据，不是文本（确实是 Markdown 文件吗？）</translation>
    </message>
    <message>
        <source>not UTF-8, and its text encoding could not be detected</source>
        <translation>不是 UTF-8 编码，也无法识别其文本编码</translation>
    </message>
    <message>
        <source>not UTF-8, and it does not decode as the detected {encoding}</source>
        <translation>不是 UTF-8 编码，按检测到的 {encoding} 编码也无法解码</translation>
    </message>
    <message>
        <source>no text (the file has only front matter or white space)</source>
        <translation>没有文字（文件只有前置元数据或空白）</translation>
    </message>
    <message>
        <source>not found</source>
        <translation>找不到</translation>
    </message>
    <message>
        <source>not a regular file (a pipe, socket or device)</source>
        <translation>不是普通文件（而是管道、套接字或设备）</translation>
    </message>
    <message>
        <source>the file kept changing while it was read; add it again once it is saved</source>
        <translation>读取时文件一直在变化；请在保存后重新添加</translation>
    </message>
    <message>
        <source>could not be read: {error}</source>
        <translation>无法读取（技术细节：{error}）</translation>
    </message>
    <message>
        <source>the file crashed the PDF reader</source>
        <translation>此文件导致 PDF 读取程序崩溃</translation>
    </message>
    <message>
        <source>no text to index</source>
        <translation>没有可索引的文字</translation>
    </message>
    <message>
        <source>not a PDF file (no %PDF header)</source>
        <translation>不是 PDF 文件（没有 %PDF 文件头）</translation>
    </message>
    <message>
        <source>damaged PDF: no page&apos;s text could be read ({error})</source>
        <translation>PDF 已损坏：任何一页的文字都无法读取（技术细节：{error}）</translation>
    </message>
    <message>
        <source>encrypted PDF: it needs a password</source>
        <translation>加密的 PDF：需要密码才能打开</translation>
    </message>
    <message>
        <source>encrypted PDF that cannot be opened: {error}</source>
        <translation>无法打开的加密 PDF（技术细节：{error}）</translation>
    </message>
    <message>
        <source>damaged or truncated PDF: {error}</source>
        <translation>PDF 已损坏或不完整（技术细节：{error}）</translation>
    </message>
    <message>
        <source>damaged or truncated PDF: no pages found</source>
        <translation>PDF 已损坏或不完整：找不到任何页面</translation>
    </message>
    <message>
        <source>no text layer (scanned?), and {why}</source>
        <translation>没有文字层（扫描件？），而且{why}</translation>
    </message>
    <message>
        <source>scanned, no text layer, and OCR is off (setting ingest.ocr)</source>
        <translation>扫描件，没有文字层，而 OCR 已关闭（设置项 ingest.ocr）</translation>
    </message>
    <message>
        <source>scanned, and OCR failed (page {page}: {error})</source>
        <translation>扫描件，OCR 识别失败（第 {page} 页；技术细节：{error}）</translation>
    </message>
    <message>
        <source>scanned, {pages} pages: over the limit of {limit} OCR pages per document (setting ingest.ocr_max_pages)</source>
        <translation>扫描件，共 {pages} 页：超过了每个文档最多 {limit} 页的 OCR 上限（设置项 ingest.ocr_max_pages）</translation>
    </message>
    <message>
        <source>no text found, not even by OCR (blank or picture-only pages)</source>
        <translation>找不到文字，OCR 也没有识别出文字（空白页或只有图片的页面）</translation>
    </message>
    <message>
        <source>PDFium could not open the file, so its pages cannot be rendered for OCR</source>
        <translation>PDFium 无法打开此文件，因此无法渲染页面进行 OCR</translation>
    </message>
    <message>
        <source>OCR is not installed (rapidocr: {error})</source>
        <translation>未安装 OCR（rapidocr；技术细节：{error}）</translation>
    </message>
    <message>
        <source>OCR model missing: {path} (reinstall rapidocr)</source>
        <translation>缺少 OCR 模型：{path}（请重新安装 rapidocr）</translation>
    </message>
    <message>
        <source>{done} of {pages} pages read by OCR</source>
        <translation>{pages} 页中有 {done} 页由 OCR 识别</translation>
    </message>
    <message>
        <source>OCR failed on {count} page(s): {pages}</source>
        <translation>{count} 页 OCR 识别失败：第 {pages} 页</translation>
    </message>
    <message>
        <source>{skipped} scanned pages not read: over the limit of {limit} OCR pages per document (setting ingest.ocr_max_pages)</source>
        <translation>有 {skipped} 页扫描页未读取：超过了每个文档最多 {limit} 页的 OCR 上限（设置项 ingest.ocr_max_pages）</translation>
    </message>
    <message>
        <source>{unread} of {pages} pages have no text layer; {why}</source>
        <translation>{pages} 页中有 {unread} 页没有文字层；{why}</translation>
    </message>
    <message>
        <source>{unread} of {pages} pages have no text layer (scanned?); OCR is off (setting ingest.ocr)</source>
        <translation>{pages} 页中有 {unread} 页没有文字层（扫描件？）；OCR 已关闭（设置项 ingest.ocr）</translation>
    </message>
    <message>
        <source>{unread} of {pages} pages have no text, not even by OCR (blank?)</source>
        <translation>{pages} 页中有 {unread} 页没有文字，OCR 也没有识别出文字（空白页？）</translation>
    </message>
    <message>
        <source>text could not be read from page(s) {pages}</source>
        <translation>无法读取第 {pages} 页的文字</translation>
    </message>
    <message>
        <source>moved from {path}</source>
        <translation>从 {path} 移来</translation>
    </message>
    <message>
        <source>file no longer exists</source>
        <translation>文件已不存在</translation>
    </message>
    <message>
        <source>file deleted</source>
        <translation>文件已删除</translation>
    </message>
    <message>
        <source>cancelled</source>
        <translation>已取消</translation>
    </message>
    <message>
        <source>being indexed</source>
        <translation>正在建立索引</translation>
    </message>
    <message>
        <source>interrupted before it was indexed; ingest again</source>
        <translation>建立索引前被中断；请重新添加</translation>
    </message>
    <message>
        <source>{folder} is not a folder</source>
        <translation>{folder} 不是文件夹</translation>
    </message>
    <message>
        <source>The folder is not there (deleted, renamed, or on a drive that is not connected); its documents are kept, and it is scanned again when it is back.</source>
        <translation>文件夹不在了（已删除、已改名，或所在的驱动器未连接）；其中的文档会保留，文件夹回来后会重新检查。</translation>
    </message>
    <message>
        <source>you may search the shared knowledge bases on {server} but not change them: your account is a reader (ask a writer or the server&apos;s administrator)</source>
        <translation>你可以搜索 {server} 上的共享知识库，但不能修改：你的账户只有读取权限（请找有编辑权限的同事或服务器管理员）</translation>
    </message>
    <message>
        <source>the server {server} refused the login: wrong password, or no such account</source>
        <translation>服务器 {server} 拒绝登录：密码错误，或没有这个账户</translation>
    </message>
    <message>
        <source>the vector server {url} refused the token: check it, or ask for a new one</source>
        <translation>向量服务器 {url} 拒绝了令牌：请检查令牌，或申请一个新的</translation>
    </message>
    <message>
        <source>cannot reach the server {server} ({error})</source>
        <translation>无法连接服务器 {server}（技术细节：{error}）</translation>
    </message>
    <message>
        <source>the server {server} restarted or could not be reached ({error})</source>
        <translation>服务器 {server} 已重启或无法连接（{error}）</translation>
    </message>
    <message>
        <source>the server {server} restarted or could not be reached while this file was written; it was not added (ingest it again)</source>
        <translation>写入此文件时服务器 {server} 已重启或无法连接；文件未加入（请重新添加）</translation>
    </message>
    <message>
        <source>another client was still writing it; ingest it again later</source>
        <translation>另一个客户端仍在写入此文件；请稍后重新添加</translation>
    </message>
    <message>
        <source>the shared library {server} was set up by an older Wenji: ask its administrator to run `wenji server init` again</source>
        <translation>团队文档库 {server} 由旧版文集创建：请其管理员重新运行 `wenji server init`</translation>
    </message>
    <message>
        <source>{path}: not a GGUF file (it does not start with &apos;GGUF&apos;)</source>
        <translation>{path}：不是 GGUF 文件（开头不是“GGUF”）</translation>
    </message>
    <message>
        <source>{path}: file is only {size} bytes; it is truncated</source>
        <translation>{path}：文件只有 {size} 字节，不完整</translation>
    </message>
    <message>
        <source>{path}: is a folder, not a GGUF file</source>
        <translation>{path}：是文件夹，不是 GGUF 文件</translation>
    </message>
    <message>
        <source>{path}: file not found</source>
        <translation>{path}：找不到文件</translation>
    </message>
    <message>
        <source>{path}: permission denied</source>
        <translation>{path}：没有读取权限</translation>
    </message>
    <message>
        <source>{path}: cannot be read: {error}</source>
        <translation>{path}：无法读取（技术细节：{error}）</translation>
    </message>
    <message>
        <source>{path}: the GGUF header has no general.architecture; it is not a language model file</source>
        <translation>{path}：GGUF 文件头中没有 general.architecture，不是语言模型文件</translation>
    </message>
    <message>
        <source>{path}: unsupported GGUF version {version} (only 2 and 3 are supported)</source>
        <translation>{path}：不支持的 GGUF 版本 {version}（只支持版本 2 和 3）</translation>
    </message>
    <message>
        <source>{path}: the GGUF header is damaged</source>
        <translation>{path}：GGUF 文件头已损坏</translation>
    </message>
    <message>
        <source>{path}: file is truncated ({missing_mib} MiB missing)</source>
        <translation>{path}：文件不完整（缺少 {missing_mib} MiB）</translation>
    </message>
    <message>
        <source>{path}: llama.cpp cannot load this model: {cause}</source>
        <translation>{path}：llama.cpp 无法加载此模型：{cause}</translation>
    </message>
    <message>
        <source>{path}: llama.cpp failed to load it: {cause}</source>
        <translation>{path}：llama.cpp 加载失败：{cause}</translation>
    </message>
    <message>
        <source>{path}: context length {n_ctx} is too small (at least 64)</source>
        <translation>{path}：上下文长度 {n_ctx} 太小（至少 64）</translation>
    </message>
    <message>
        <source>{path}: not enough memory for a {n_ctx}-token context: needs about {need} (weights {weights}, context cache {cache}) but only {available} is available; choose a shorter context</source>
        <translation>{path}：内存不足以容纳 {n_ctx} 个词元的上下文：约需 {need}（权重 {weights}，上下文缓存 {cache}），但只有 {available} 可用；请选择更短的上下文</translation>
    </message>
    <message>
        <source>no model named &apos;{name}&apos; (known models: {known})</source>
        <translation>没有名为“{name}”的模型（已有的模型：{known}）</translation>
    </message>
    <message>
        <source>no chat model is loaded</source>
        <translation>没有加载对话模型</translation>
    </message>
    <message>
        <source>no knowledge base named &apos;{name}&apos; (known: {known})</source>
        <translation>没有名为“{name}”的知识库（已有：{known}）</translation>
    </message>
    <message>
        <source>none of the chosen documents is in the knowledge base &apos;{kb}&apos; (or none is ready yet)</source>
        <translation>所选文档都不在知识库“{kb}”中（或都尚未就绪）</translation>
    </message>
    <message>
        <source>the knowledge base &apos;{kb}&apos; is empty: add documents first</source>
        <translation>知识库“{kb}”是空的：请先添加文档</translation>
    </message>
    <message>
        <source>the knowledge base &apos;{kb}&apos; was built with the embedder &apos;{built}&apos;, not &apos;{current}&apos;: re-embed it, or choose that embedder in the settings</source>
        <translation>知识库“{kb}”是用向量模型“{built}”而不是“{current}”建立的：请重新嵌入，或在设置中选择该向量模型</translation>
    </message>
    <message>
        <source>the question is empty</source>
        <translation>问题是空的</translation>
    </message>
    <message>
        <source>; </source>
        <translation>；</translation>
    </message>
</context>
<context>
    <name>widget</name>
    <message>
        <source>the file is missing</source>
        <translation>文件不见了</translation>
    </message>
    <message>
        <source>not a PDF, or a damaged one</source>
        <translation>不是 PDF 文件，或文件已损坏</translation>
    </message>
    <message>
        <source>the PDF needs a password</source>
        <translation>此 PDF 需要密码</translation>
    </message>
    <message>
        <source>the PDF&apos;s encryption is not supported</source>
        <translation>不支持此 PDF 的加密方式</translation>
    </message>
    <message>
        <source>the file could not be read</source>
        <translation>无法读取文件</translation>
    </message>
    <message>
        <source>the PDF could not be opened</source>
        <translation>无法打开此 PDF</translation>
    </message>
</context>
</TS>
